"""Notifications: alerts reach the field committees by e-mail and chat webhooks, at once or as digests.

`config` reads the routing (`notify.yaml` in the data directory), `channels` holds the `Alerter`
interface and its e-mail and webhook implementations, `dispatch` decides what goes where through the
delivery log. The application calls `notify_after_detect` after each detection and `send_digest`
from the digest job.
"""
from alerts.notify.dispatch import NotifySummary, notify_after_detect, send_digest

__all__ = ["NotifySummary", "notify_after_detect", "send_digest"]
