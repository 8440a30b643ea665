"""Where notifications go: the `Alerter` interface, e-mail over SMTP and chat webhooks, with retries.

An alerter renders a message from the notification's context with its own Jinja templates
(`templates/`), then delivers it. Crawled text reaches every message (titles, applicant names in
explanations), so each format escapes for its reader: HTML autoescaping for mail, the `&`, `<`,
`>` entities Slack and Mattermost require in webhook text, and no control characters in headers.
"""
from __future__ import annotations

import abc
import json
import re
import smtplib
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

import jinja2

from alerts.notify.config import EmailChannel, SmtpSettings, WebhookChannel
from ews.kernel.secrets import scrub

TEMPLATES = Path(__file__).parent / "templates"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class DeliveryError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def chat_escape(value) -> str:
    """Slack's and Mattermost's escaping: without it `<!channel>` or `<http://x|click>` in a crawled title
    would ping everyone or become a link."""
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _env(autoescape: bool, finalize=None) -> jinja2.Environment:
    kw = {"finalize": finalize} if finalize else {}
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=autoescape,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                              keep_trailing_newline=True, **kw)


_HTML = _env(True)
_TEXT = _env(False)
_CHAT = _env(False, finalize=lambda v: chat_escape(v) if isinstance(v, str) else v)


def one_line(text: str, limit: int = 200) -> str:
    return " ".join(_CONTROL.sub(" ", text).split())[:limit]


class Alerter(abc.ABC):
    """One configured channel."""

    def __init__(self, name: str):
        self.name = name

    @abc.abstractmethod
    def render(self, context: dict) -> object:
        """The message for `context` (see `dispatch.message_context`)."""

    @abc.abstractmethod
    def deliver(self, message: object) -> None:
        """Send once; DeliveryError(retryable=…) when it did not go."""

    def send(self, context: dict, attempts: int = 4, backoff: float = 1.0, max_backoff: float = 30.0) -> int:
        """Render and deliver, retrying transient failures with exponential backoff; the attempts made."""
        message = self.render(context)
        for attempt in range(1, attempts + 1):
            try:
                self.deliver(message)
                return attempt
            except DeliveryError as e:
                if not e.retryable or attempt == attempts:
                    raise DeliveryError(f"{self.name}: {e} (after {attempt} attempt{'s' if attempt > 1 else ''})",
                                        e.retryable) from None
            time.sleep(min(max_backoff, backoff * 2 ** (attempt - 1)))
        raise AssertionError("unreachable")


class EmailAlerter(Alerter):
    def __init__(self, name: str, channel: EmailChannel, smtp: SmtpSettings):
        super().__init__(name)
        self.channel, self.smtp = channel, smtp

    def render(self, context: dict) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = one_line(context["subject"])
        msg["From"] = self.smtp.sender
        msg["To"] = ", ".join(self.channel.to)
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain="ews.invalid")
        msg.set_content(_TEXT.get_template("message.txt.j2").render(**context))
        msg.add_alternative(_HTML.get_template("message.html.j2").render(**context), subtype="html")
        return msg

    def deliver(self, message: EmailMessage) -> None:
        s = self.smtp
        cls = smtplib.SMTP_SSL if s.ssl else smtplib.SMTP
        try:
            with cls(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls and not s.ssl:
                    smtp.starttls()
                if s.username:
                    smtp.login(s.username, s.password or "")
                smtp.send_message(message)
        except smtplib.SMTPResponseException as e:
            # 4xx replies are temporary by the protocol; 5xx are refusals that a retry would repeat
            raise DeliveryError(f"SMTP {e.smtp_code}: {self._scrub(_decode(e.smtp_error))}",
                                400 <= e.smtp_code < 500) from None
        except smtplib.SMTPRecipientsRefused as e:
            raise DeliveryError(f"SMTP refused the recipients {', '.join(e.recipients)}", False) from None
        except (smtplib.SMTPException, OSError) as e:
            raise DeliveryError(f"SMTP {s.host}:{s.port}: {type(e).__name__}: {self._scrub(str(e))}", True) from None

    def _scrub(self, text: str) -> str:
        return scrub(text, {"EWS_SMTP_PASSWORD": self.smtp.password})


def _decode(b) -> str:
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else str(b)


class WebhookAlerter(Alerter):
    def __init__(self, name: str, channel: WebhookChannel, timeout: float = 30.0):
        super().__init__(name)
        self.channel, self.timeout = channel, timeout

    def render(self, context: dict) -> bytes:
        text = _CHAT.get_template("message.chat.j2").render(**context)
        if self.channel.format == "teams":
            body = {"@type": "MessageCard", "@context": "https://schema.org/extensions",
                    "summary": one_line(context["subject"]), "title": chat_escape(one_line(context["subject"])),
                    "text": text}
        else:  # Slack and Mattermost incoming webhooks take the same JSON
            body = {"text": text}
        return json.dumps(body, ensure_ascii=False).encode("utf-8")

    def deliver(self, message: bytes) -> None:
        # the URL is a secret (the token is in its path): errors name the channel, never the URL
        req = urllib.request.Request(self.channel.resolved_url(), data=message, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "tech-security-ews notifier"})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310 - http(s) checked by config
                resp.read()
        except urllib.error.HTTPError as e:
            raise DeliveryError(f"webhook answered HTTP {e.code}", e.code >= 500 or e.code == 429) from None
        except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
            reason = getattr(e, "reason", e)
            raise DeliveryError(f"webhook unreachable: {type(reason).__name__}", True) from None


def alerter_for(name: str, channel, smtp: SmtpSettings | None = None) -> Alerter:
    if isinstance(channel, EmailChannel):
        return EmailAlerter(name, channel, smtp or SmtpSettings())
    return WebhookAlerter(name, channel)
