"""Who is told what, when: immediate sends after detection and daily/weekly digests, through the delivery log.

One message per incident (alerts.incidents), not per alert: the field, the technology and the
technology in one jurisdiction reporting one event reach a committee once. The delivery log
(`ews.kernel.deliveries`) keys an immediate send by every member alert on that channel, and a digest
by its period, so a re-run, a retried task or a second process sends nothing twice; a failed send is
tried again by the next run.

Only alerts being worked on (new, triaged, escalated) and not silenced are sent; immediate sends
consider alerts the detector raised or updated within `lookback` (so switching notifications on does
not mail the whole history).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from alerts.base import AlertQuery, AlertStore
from alerts.build import OPEN_STATUSES
from alerts.incidents import Incident, group_incidents
from alerts.notify.channels import DeliveryError, alerter_for
from alerts.notify.config import CONFIG_NAME, NotifyConfig, NotifyConfigError, Route, SmtpSettings, load_config
from ews.kernel.deliveries import DeliveryLog
from ews.kernel.secrets import scrub
from ews.kernel.series import SeriesKey

LOOKBACK = dt.timedelta(days=2)
DIGEST_WINDOWS = {"daily": dt.timedelta(days=1), "weekly": dt.timedelta(days=7)}


@dataclass
class NotifySummary:
    configured: bool = True
    sent: int = 0
    skipped: int = 0      # already delivered (the log) or nothing to say
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def public(self) -> dict:
        return {"configured": self.configured, "sent": self.sent, "skipped": self.skipped, "failed": self.failed,
                "errors": self.errors}


def _incident_context(inc: Incident, app_url: str | None) -> dict:
    lead = inc.lead.alert
    return {"series": lead.series, "period": lead.period, "direction": lead.direction, "severity": inc.severity,
            "explanation": lead.explanation, "related": [m.alert.series for m in inc.others],
            "link": f"{app_url.rstrip('/')}/alerts/{lead.id}" if app_url else None}


def message_context(subject: str, incidents: list[Incident], route: Route, app_url: str | None) -> dict:
    return {"subject": subject, "incidents": [_incident_context(i, app_url) for i in incidents],
            "route": route.name or ", ".join(route.channels)}


def _field_of(inc: Incident) -> str | None:
    return SeriesKey.read(inc.lead.alert.series).field


def _open_alerts(store: AlertStore, since: dt.datetime) -> list:
    found = store.search(AlertQuery(status=list(OPEN_STATUSES), size=1000))
    return [r for r in found if r.alert.last_seen >= since]


class Notifier:
    def __init__(self, config: NotifyConfig, log: DeliveryLog, smtp: SmtpSettings | None = None,
                 attempts: int = 4, backoff: float = 1.0):
        self.config, self.log, self.smtp = config, log, smtp
        self.alerters = {name: alerter_for(name, ch, smtp) for name, ch in config.channels.items()}
        self.attempts, self.backoff = attempts, backoff

    def _scrub(self, text: str) -> str:
        return scrub(text, {"EWS_SMTP_PASSWORD": self.smtp.password if self.smtp else None})

    def _send(self, channel: str, keys: list[str], context: dict, summary: NotifySummary) -> None:
        if not self.log.claim(channel, keys):
            summary.skipped += 1
            return
        try:
            attempts = self.alerters[channel].send(context, attempts=self.attempts, backoff=self.backoff)
        except DeliveryError as e:
            message = self._scrub(str(e))
            self.log.finish(channel, keys, ok=False, attempts=self.attempts, detail=message)
            summary.failed += 1
            summary.errors.append(message)
            return
        except Exception as e:  # a template or configuration fault: logged, the other channels still go
            message = self._scrub(f"{channel}: {type(e).__name__}: {e}")
            self.log.finish(channel, keys, ok=False, attempts=0, detail=message)
            summary.failed += 1
            summary.errors.append(message)
            return
        self.log.finish(channel, keys, ok=True, attempts=attempts)
        summary.sent += 1

    def immediate(self, store: AlertStore, now: dt.datetime | None = None, lookback: dt.timedelta = LOOKBACK) -> NotifySummary:
        now = now or dt.datetime.now(dt.UTC)
        summary = NotifySummary()
        incidents = group_incidents(_open_alerts(store, now - lookback))
        for route in (r for r in self.config.routes if r.send == "immediate"):
            for inc in incidents:
                if not route.matches(_field_of(inc), inc.severity):
                    continue
                lead = inc.lead.alert
                subject = f"[EWS] {lead.direction} in {lead.series} ({lead.period}), severity {inc.severity:.2f}"
                context = message_context(subject, [inc], route, self.config.app_url)
                for channel in route.channels:
                    self._send(channel, [f"alert:{a}" for a in inc.alert_ids], context, summary)
        return summary

    def digest(self, store: AlertStore, every: str, now: dt.datetime | None = None) -> NotifySummary:
        if every not in DIGEST_WINDOWS:
            raise ValueError(f"unknown digest {every!r}; allowed: {', '.join(DIGEST_WINDOWS)}")
        now = now or dt.datetime.now(dt.UTC)
        label = now.date().isoformat() if every == "daily" else f"{now.isocalendar()[0]}-W{now.isocalendar()[1]:02d}"
        summary = NotifySummary()
        incidents = group_incidents(_open_alerts(store, now - DIGEST_WINDOWS[every]))
        for i, route in enumerate(r for r in self.config.routes if r.send == every):
            chosen = [inc for inc in incidents if route.matches(_field_of(inc), inc.severity)]
            if not chosen:
                summary.skipped += 1
                continue
            subject = f"[EWS] {every} digest {label}: {len(chosen)} incident{'s' if len(chosen) != 1 else ''}"
            context = message_context(subject, chosen, route, self.config.app_url)
            for channel in route.channels:
                self._send(channel, [f"digest:{every}:{label}:{route.name or i}"], context, summary)
        return summary


def _notifier(settings, **kw) -> tuple[Notifier | None, DeliveryLog | None]:
    config = load_config(Path(settings.home) / CONFIG_NAME, settings.taxonomy_version)  # errors name file:line
    if config is None:
        return None, None
    if config.app_url is None:
        config = config.model_copy(update={"app_url": settings.app_url})
    log = DeliveryLog(settings.home)
    return Notifier(config, log, SmtpSettings.from_settings(settings), **kw), log


def notify_after_detect(settings, store: AlertStore, now: dt.datetime | None = None, **kw) -> NotifySummary:
    """The immediate sends for the alerts just raised; a no-op without `notify.yaml` in the data directory.

    A bad routing file or an unreadable alert store is reported in the summary (failed, errors), not
    raised: the alerts are stored already, and the next run sends what this one could not."""
    try:
        notifier, log = _notifier(settings, **kw)
    except NotifyConfigError as e:
        return NotifySummary(failed=1, errors=[str(e)])
    if notifier is None:
        return NotifySummary(configured=False)
    try:
        return notifier.immediate(store, now)
    except Exception as e:  # the Elasticsearch client's transport errors among them
        return NotifySummary(failed=1, errors=[scrub(f"cannot read the alert store: {type(e).__name__}: {e}",
                                                     settings.secret_variables())])
    finally:
        log.close()


def send_digest(settings, every: str, store: AlertStore, now: dt.datetime | None = None, **kw) -> NotifySummary:
    """The daily or weekly summary (a DAG task calls this once a day or week; re-runs send nothing twice)."""
    notifier, log = _notifier(settings, **kw)
    if notifier is None:
        return NotifySummary(configured=False)
    try:
        return notifier.digest(store, every, now)
    finally:
        log.close()
