"""Notifications against a real SMTP server and a real webhook receiver on 127.0.0.1: received, escaped,
retried on a 500, never sent twice; routing by field and severity; digests; the routing file's errors."""
from __future__ import annotations

import datetime as dt

import pytest

from alerts.embedded import EmbeddedAlertStore
from alerts.notify import notify_after_detect, send_digest
from alerts.notify.config import CONFIG_NAME, NotifyConfigError, load_config
from ews.kernel.config import load_settings
from ews.kernel.deliveries import DeliveryLog
from ews.kernel.ids import alert_id
from ews.kernel.schema import Alert

pytestmark = pytest.mark.integration

NOW = dt.datetime.now(dt.UTC)
HOSTILE = 'Battery <script>alert(1)</script> "x" onmouseover=y <!channel> & co'


def alert(series, period="2025-06", direction="drop", severity=0.9, docs=("us:1", "us:2"), explanation=None):
    return Alert(id=alert_id("count", series, period), detector="count", series=series, period=period,
                 direction=direction, observed=1.0, expected=9.0, score=0.9, severity=severity, method="test",
                 explanation=explanation or f"Drop in {series}: {HOSTILE}",
                 evidence={"contributors": {"document_ids": list(docs), "documents": []}},
                 first_seen=NOW, last_seen=NOW)


def write_config(home, text):
    home.mkdir(parents=True, exist_ok=True)
    (home / CONFIG_NAME).write_text(text, encoding="utf-8")


ROUTING = """\
app_url: http://127.0.0.1:8000
channels:
  battery-mail:
    type: email
    to: [battery@example.org, chair@example.org]
  chat:
    type: webhook
    url_env: EWS_TEST_WEBHOOK
    format: slack
routes:
  - name: battery at once
    fields: [battery]
    min_severity: 0.5
    send: immediate
    channels: [battery-mail, chat]
  - name: weekly for everyone
    send: weekly
    channels: [battery-mail]
"""


@pytest.fixture
def configured(ews_home, smtp_server, webhook, monkeypatch):
    monkeypatch.setenv("EWS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EWS_SMTP_PORT", str(smtp_server.port))
    monkeypatch.setenv("EWS_SMTP_SENDER", "ews@example.org")
    monkeypatch.setenv("EWS_TEST_WEBHOOK", webhook.url)
    write_config(ews_home, ROUTING)
    store = EmbeddedAlertStore(ews_home)
    store.upsert_alerts([alert("field:battery"), alert("tech:battery.li_ion"),
                         alert("tech:battery.li_ion|jurisdiction:US"),
                         alert("tech:semi.memory", direction="surge", docs=("kr:1",)),   # another field
                         alert("tech:battery.solid", period="2025-01", severity=0.2, docs=("x:1",))])  # too mild
    yield store
    store.close()


def test_one_message_per_incident_by_mail_and_webhook_escaped_and_never_twice(ews_home, configured, smtp_server, webhook):
    first = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert first.public() == {"configured": True, "sent": 2, "skipped": 0, "failed": 0, "errors": []}
    (mail,) = smtp_server.messages
    assert mail["To"] == "battery@example.org, chair@example.org" and mail["From"] == "ews@example.org"
    assert "tech:battery.li_ion|jurisdiction:US" in mail["Subject"]
    html = mail.get_body(("html",)).get_content()
    text = mail.get_body(("plain",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "onmouseover=y" in html and '"x"' not in html  # quotes escaped: nothing breaks out of a cell
    assert HOSTILE in text  # plain text carries the text as it is
    assert "field:battery" in text and "tech:semi.memory" not in text
    assert "http://127.0.0.1:8000/alerts/" in html  # app_url of notify.yaml over EWS_APP_URL
    (hook,) = webhook.bodies
    assert "&lt;!channel&gt;" in hook["text"] and "<!channel>" not in hook["text"]
    assert "&lt;script&gt;" in hook["text"] and "&amp; co" in hook["text"]

    again = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert again.sent == 0 and again.skipped == 2
    assert len(smtp_server.messages) == 1 and len(webhook.bodies) == 1
    with DeliveryLog(ews_home) as log:
        rows = log.rows()
    assert {r["status"] for r in rows} == {"sent"} and len(rows) == 6  # 3 alerts × 2 channels


def test_webhook_500_is_retried_with_backoff(ews_home, configured, webhook):
    webhook.fail_next = 2
    summary = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert summary.failed == 0 and len(webhook.bodies) == 1
    with DeliveryLog(ews_home) as log:
        attempts = {r["attempts"] for r in log.rows() if r["channel"] == "chat"}
    assert attempts == {3}


def test_a_channel_that_keeps_failing_is_logged_and_tried_again_next_run(ews_home, configured, webhook, smtp_server):
    webhook.fail_next = 10
    summary = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert summary.sent == 1 and summary.failed == 1
    assert "chat: webhook answered HTTP 500 (after 4 attempts)" in summary.errors[0]
    assert "secret-token" not in summary.errors[0]  # the webhook URL is a secret
    webhook.fail_next = 0
    retry = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert retry.sent == 1 and retry.skipped == 1  # the mail is not sent again
    assert len(webhook.bodies) == 1 and len(smtp_server.messages) == 1


def test_a_refused_webhook_is_not_retried(ews_home, configured, webhook):
    webhook.status = 404
    summary = notify_after_detect(load_settings(), configured, backoff=0.01)
    assert summary.failed == 1 and "HTTP 404 (after 1 attempt)" in summary.errors[0]


def test_unreachable_smtp_fails_cleanly_without_the_password(ews_home, configured, monkeypatch):
    monkeypatch.setenv("EWS_SMTP_PORT", "9")
    monkeypatch.setenv("EWS_SMTP_USERNAME", "ews")
    monkeypatch.setenv("EWS_SMTP_PASSWORD", "hunter2-very-secret")
    summary = notify_after_detect(load_settings(), configured, attempts=2, backoff=0.01)
    assert summary.failed == 1 and summary.sent == 1
    assert "battery-mail: SMTP 127.0.0.1:9" in summary.errors[0]
    assert "hunter2" not in " ".join(summary.errors)


def test_weekly_digest_once_per_week(ews_home, configured, smtp_server):
    summary = send_digest(load_settings(), "weekly", configured)
    assert summary.sent == 1
    (mail,) = smtp_server.messages
    assert "weekly digest" in mail["Subject"] and "3 incidents" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "tech:semi.memory" in text and "tech:battery.solid" in text
    assert send_digest(load_settings(), "weekly", configured).sent == 0
    assert len(smtp_server.messages) == 1
    # a week later: another digest, with nothing raised in its window
    send_digest(load_settings(), "weekly", configured, now=NOW + dt.timedelta(days=8))
    assert len(smtp_server.messages) == 1  # nothing raised in that week: nothing sent
    with pytest.raises(ValueError, match="allowed: daily, weekly"):
        send_digest(load_settings(), "monthly", configured)


def test_reviewed_and_silenced_alerts_are_not_sent(ews_home, configured, smtp_server, webhook):
    for r in configured.search():
        if r.alert.series.startswith(("field:battery", "tech:battery.li_ion")):
            configured.review(r.alert.id, actor="kim", version=r.version, status="dismissed")
    assert notify_after_detect(load_settings(), configured).sent == 0
    assert smtp_server.messages == [] and webhook.bodies == []


def test_without_routing_nothing_is_sent(ews_home):
    store = EmbeddedAlertStore(ews_home)
    try:
        assert notify_after_detect(load_settings(), store).public()["configured"] is False
    finally:
        store.close()


def test_a_bad_routing_file_is_reported_not_raised(ews_home):
    write_config(ews_home, "channels: {}\nroutes: []\n")
    store = EmbeddedAlertStore(ews_home)
    try:
        summary = notify_after_detect(load_settings(), store)
    finally:
        store.close()
    assert summary.failed == 1 and "notify.yaml:1: channels" in summary.errors[0].replace(str(ews_home) + "/", "")


@pytest.mark.parametrize(("text", "where"), [
    ("channels: [\n", "notify.yaml:2: not valid YAML"),
    ("", "notify.yaml:1: empty"),
    ("channels:\n  m:\n    type: email\n    to: [not-an-address]\nroutes:\n  - channels: [m]\n",
     "notify.yaml:4: channels.m.email.to.0"),
    ("channels:\n  m:\n    type: pager\nroutes:\n  - channels: [m]\n", "notify.yaml:3:"),
    ("channels:\n  m: {type: email, to: [a@b.c]}\nroutes:\n  - channels: [m]\n    min_severity: 2\n",
     "notify.yaml:5: routes.0.min_severity"),
    ("channels:\n  m: {type: email, to: [a@b.c]}\nroutes:\n  - channels: [m]\n    fields: [battery, semiconductor]\n",
     "notify.yaml:5: routes.0.fields: unknown field 'semiconductor'"),
    ("channels:\n  m: {type: email, to: [a@b.c]}\nroutes:\n  - channels:\n      - m\n      - mail\n",
     "notify.yaml:6: routes.0.channels: no channel named 'mail'"),
    ("channels:\n  h: {type: webhook, url: 'http://127.0.0.1:1', url_env: X}\nroutes:\n  - channels: [h]\n",
     "notify.yaml:2: channels.h.webhook: Value error, give exactly one of url and url_env"),
    ("channels:\n  m: {type: email, to: [a@b.c], cc: [x@y.z]}\nroutes:\n  - channels: [m]\n",
     "notify.yaml:2: channels.m.email.cc: Extra inputs"),
])
def test_routing_errors_name_file_and_line(ews_home, text, where):
    write_config(ews_home, text)
    with pytest.raises(NotifyConfigError) as e:
        load_config(ews_home / CONFIG_NAME)
    assert where in str(e.value).replace(str(ews_home) + "/", "")


def test_routing_file_not_utf8(ews_home):
    ews_home.mkdir(parents=True)
    (ews_home / CONFIG_NAME).write_bytes(b"channels: \xff\xfe\n")
    with pytest.raises(NotifyConfigError, match=r"notify.yaml:1: not UTF-8"):
        load_config(ews_home / CONFIG_NAME)
