"""How reminders reach people: an e-mail digest per recipient (SMTP, text and HTML), a Slack-compatible webhook
with retries, and an iCalendar feed. Each sender raises ChannelError with a message that names no secret."""

import hashlib
import logging
import smtplib
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import jinja2
from pydantic import SecretStr

from app.reminders.schedule import Announcement, DueItem, Person, when

log = logging.getLogger("riskreg.reminders")

EMAIL_TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "email"
SMTP_TIMEOUT_SECONDS = 30
# Slack allows 50 blocks a message: a header, then at most this many items, then a context line.
WEBHOOK_ITEMS_PER_MESSAGE = 40
MAX_BACKOFF_SECONDS = 60.0

_email = jinja2.Environment(
    loader=jinja2.FileSystemLoader(EMAIL_TEMPLATES),
    # HTML escaped always; the text part is plain text, where escaping would print &amp; for "AT&T".
    autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True, default=False),
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class ChannelError(Exception):
    """A send that did not happen; the message is safe to store and print (no password, no webhook URL)."""


def absolute(link: str | None, public_url: str | None) -> str | None:
    """A path as a URL users can open: under RISKREG_PUBLIC_URL when set, else the path itself."""
    if link is None:
        return None
    return public_url.rstrip("/") + link if public_url else link


# --- the digest: what one person is told in one run ----------------------------------------------


@dataclass(frozen=True)
class Line:
    title: str
    detail: str
    due_on: date
    when: str
    url: str | None
    lead_days: int


@dataclass(frozen=True)
class Digest:
    to: Person | None  # None for the webhook (a team channel)
    today: date
    overdue: tuple[Line, ...]
    due: tuple[Line, ...]
    alerts: tuple[Line, ...]

    @property
    def count(self) -> int:
        return len(self.overdue) + len(self.due) + len(self.alerts)

    @property
    def subject(self) -> str:
        parts = [f"{len(self.overdue)} overdue" if self.overdue else "",
                 f"{len(self.due)} due soon" if self.due else "",
                 f"{len(self.alerts)} estate alert{'' if len(self.alerts) == 1 else 's'}" if self.alerts else ""]
        return "riskreg reminders: " + ", ".join(p for p in parts if p)


def build_digest(announcements: Sequence[Announcement], *, to: Person | None, today: date,
                 public_url: str | None) -> Digest:
    """Items grouped as overdue, due (soonest first) and estate alerts."""
    def line(a: Announcement) -> Line:
        item: DueItem = a.item
        return Line(item.title, item.detail, item.due_on, when(item, today=today),
                    absolute(item.link, public_url), a.lead_days)

    ordered = sorted(announcements, key=lambda a: (a.item.due_on, a.item.key))
    return Digest(
        to=to, today=today,
        overdue=tuple(line(a) for a in ordered if not a.item.alert and a.item.due_on < today),
        due=tuple(line(a) for a in ordered if not a.item.alert and a.item.due_on >= today),
        alerts=tuple(line(a) for a in ordered if a.item.alert),
    )


# --- e-mail -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool  # smtps://
    username: str | None
    password: SecretStr | None

    def __repr__(self) -> str:  # never the password, even in a traceback's locals
        return f"SmtpTarget({self.host}:{self.port}, tls={'implicit' if self.implicit_tls else 'starttls?'})"

    @classmethod
    def parse(cls, url: str) -> "SmtpTarget":
        """smtp://user:password@host:587 (port 25 by default) or smtps://host (465); user and password
        percent-decoded, so a password may hold any character."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ChannelError("RISKREG_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465")
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname, port=parts.port or (465 if implicit else 25), implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=SecretStr(unquote(parts.password)) if parts.password is not None else None,
        )


def render_email(digest: Digest, *, sender: str) -> EmailMessage:
    """The digest as a multipart/alternative message: plain text first, then HTML (autoescaped)."""
    assert digest.to is not None
    context = {"digest": digest, "person": digest.to}
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = formataddr((digest.to.name, digest.to.email))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2].strip("> ") or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    message.set_content(_email.get_template("digest.txt").render(context))
    message.add_alternative(_email.get_template("digest.html").render(context), subtype="html")
    return message


class EmailChannel:
    """SMTP with STARTTLS (unless turned off for a local relay) or implicit TLS, one connection per run."""

    name = "email"

    def __init__(self, target: SmtpTarget, *, sender: str, starttls: bool = True,
                 timeout: float = SMTP_TIMEOUT_SECONDS, tls_context: ssl.SSLContext | None = None) -> None:
        self.target = target
        self.sender = sender
        self.starttls = starttls
        self.timeout = timeout
        self.tls_context = tls_context or ssl.create_default_context()
        self._smtp: smtplib.SMTP | None = None
        # Once the server cannot be reached, the rest of the run's digests fail at once instead of each
        # waiting out its own timeout.
        self._unreachable: str | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._unreachable is not None:
            raise ChannelError(self._unreachable)
        try:
            return self._open()
        except ChannelError as exc:
            self._unreachable = str(exc)
            raise

    def _open(self) -> smtplib.SMTP:
        t = self.target
        try:
            if t.implicit_tls:
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(t.host, t.port, timeout=self.timeout, context=self.tls_context)
            else:
                smtp = smtplib.SMTP(t.host, t.port, timeout=self.timeout)
                if self.starttls:
                    smtp.ehlo()
                    if not smtp.has_extn("starttls"):
                        smtp.close()
                        raise ChannelError(f"the SMTP server {t.host}:{t.port} does not offer STARTTLS; use smtps:// "
                                           "or, for a relay on a private network only, RISKREG_SMTP_STARTTLS=false")
                    smtp.starttls(context=self.tls_context)
            if t.username is not None:
                smtp.login(t.username, t.password.get_secret_value() if t.password else "")
        except smtplib.SMTPAuthenticationError as exc:
            raise ChannelError(f"the SMTP server {t.host}:{t.port} refused the user name or password "
                               f"({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelError(f"cannot reach the SMTP server {t.host}:{t.port}: {_reason(exc)}") from None
        return smtp

    @contextmanager
    def session(self) -> Iterator["EmailChannel"]:
        """Keeps one connection open for a run's digests (opened on first use)."""
        try:
            yield self
        finally:
            self.close()

    def close(self) -> None:
        self._unreachable = None
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None

    def send(self, digest: Digest) -> None:
        message = render_email(digest, sender=self.sender)
        for attempt in (1, 2):  # a dropped connection is reopened once
            if self._smtp is None:
                self._smtp = self._connect()
            try:
                refused = self._smtp.send_message(message)
            except smtplib.SMTPServerDisconnected:
                self._smtp = None
                if attempt == 2:
                    raise ChannelError("the SMTP server closed the connection") from None
                continue
            except smtplib.SMTPRecipientsRefused:
                raise ChannelError("the SMTP server refused the recipient address") from None
            except (OSError, smtplib.SMTPException) as exc:
                self.close()
                raise ChannelError(f"the SMTP server did not take the message: {_reason(exc)}") from None
            if refused:
                raise ChannelError("the SMTP server refused the recipient address")
            return


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"[:200]
    return (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__)[:200]


# --- webhook ------------------------------------------------------------------------------------


def _mrkdwn(text: str) -> str:
    """Slack's escaping: the three characters its markup gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(digest: Digest) -> dict[str, object]:
    """`{"text": ..., "blocks": [...]}`: text for notifications and clients without blocks, one section per item."""
    blocks: list[dict[str, object]] = [
        {"type": "header", "text": {"type": "plain_text", "text": digest.subject[:150]}},
    ]
    lines = []
    for heading, group in (("Overdue", digest.overdue), ("Due", digest.due), ("Estate alert", digest.alerts)):
        for line in group:
            title = _mrkdwn(line.title)
            shown = f"<{_mrkdwn(line.url)}|{title}>" if line.url and line.url.startswith("http") else f"*{title}*"
            when_text = line.when if heading == "Estate alert" else f"{line.when} ({line.due_on.isoformat()})"
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": (
                f"*{heading}:* {shown}\n{_mrkdwn(when_text)}. {_mrkdwn(line.detail)}")[:3000]}})
            lines.append(f"{heading}: {line.title} — {when_text}")
    return {"text": digest.subject + "\n" + "\n".join(lines), "blocks": blocks}


class WebhookChannel:
    """POSTs JSON to a configured URL, retrying connection errors, timeouts, 429 and 5xx with exponential
    backoff (1, 2, 4 ... s, or the server's Retry-After up to a minute); other answers are final."""

    name = "webhook"

    def __init__(self, url: str, *, timeout: float = 10.0, attempts: int = 4,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep,
                 transport: httpx.BaseTransport | None = None) -> None:
        self._url = url
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self._client = httpx.Client(timeout=timeout, transport=transport, follow_redirects=False,
                                    headers={"User-Agent": "riskreg-reminders"})
        # The delivery records name the webhook by this, never by its URL (a Slack webhook URL is a secret).
        self.recipient = "webhook:" + hashlib.sha256(url.encode()).hexdigest()[:16]

    def __repr__(self) -> str:
        return f"WebhookChannel({self.recipient})"

    @contextmanager
    def session(self) -> Iterator["WebhookChannel"]:
        try:
            yield self
        finally:
            self._client.close()

    def send(self, digest: Digest) -> None:
        self.post(slack_payload(digest))

    def post(self, payload: dict[str, object]) -> None:
        problem = "no attempt made"
        for attempt in range(1, self.attempts + 1):
            wait = self.backoff * 2 ** (attempt - 1)
            try:
                response = self._client.post(self._url, json=payload)
            except httpx.TimeoutException:
                problem = "the webhook did not answer in time"
            except httpx.TransportError as exc:
                problem = f"cannot reach the webhook ({type(exc).__name__})"
            else:
                if 200 <= response.status_code < 300:
                    return
                problem = f"the webhook answered HTTP {response.status_code}"
                if response.status_code != 429 and response.status_code < 500:
                    raise ChannelError(problem)  # the payload or the URL is wrong: retrying now will not help
                wait = _retry_after(response) or wait
            if attempt < self.attempts:
                log.info("webhook retry", extra={"attempt": attempt, "problem": problem})
                self.sleep(min(wait, MAX_BACKOFF_SECONDS))
        raise ChannelError(f"{problem} (after {self.attempts} attempt{'' if self.attempts == 1 else 's'})")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


# --- iCalendar feed -----------------------------------------------------------------------------


def calendar(items: Sequence[DueItem], *, name: str, public_url: str | None, stamp: datetime) -> bytes:
    """RFC 5545: one all-day event (DTSTART;VALUE=DATE) per item on its due date, with a UID that stays the
    same from one download to the next, so clients update events instead of duplicating them."""
    import icalendar

    cal = icalendar.Calendar()
    cal.add("prodid", "-//riskreg//reminders//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("x-published-ttl", timedelta(hours=6))
    cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
    for item in items:
        event = icalendar.Event()
        event.add("uid", f"{item.key}@riskreg")
        event.add("dtstamp", stamp)
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + timedelta(days=1))
        event.add("summary", item.title)
        url = absolute(item.link, public_url)
        event.add("description", item.detail + (f"\n{url}" if url else ""))
        if url and url.startswith("http"):
            event.add("url", url)
        event.add("categories", [item.kind.value])
        event.add("transp", "TRANSPARENT")  # a deadline, not a meeting: it does not make anyone busy
        cal.add_component(event)
    return cal.to_ical()
