"""Real servers on loopback for the reminder channels (aiosmtpd, an HTTP webhook receiver) and a register on a
fresh migrated database per test, committed for real, as the job and the CLI see it."""

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import Engine
from sqlmodel import Session

from app.core import migrations
from app.core.config import Settings
from app.core.db import make_engine
from app.reminders.channels import EmailChannel, SmtpTarget, WebhookChannel

SLOW = 0  # a status the webhook receiver answers 1.5 s late (with 200)
SENDER = "riskreg <reminders@riskreg.test>"
PUBLIC_URL = "https://riskreg.example.test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- SMTP -----------------------------------------------------------------------------------------


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content().replace("\r\n", "\n")  # type: ignore[union-attr]


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list[Received] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipient addresses answered 550
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def channel(self, **kwargs: Any) -> EmailChannel:
        kwargs.setdefault("starttls", False)
        return EmailChannel(SmtpTarget.parse(kwargs.pop("url", self.url)), sender=SENDER, **kwargs)

    def reminders(self) -> list[tuple[str, str]]:
        """(recipient, item title) for every item line of every digest received."""
        found = []
        with self.lock:
            for received in self.messages:
                for line in received.text.splitlines():
                    if line.startswith("* "):
                        found.append((received.rcpt_tos[0], line[2:].rsplit(":", 1)[0]))
        return found


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.server.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.server.lock:
            self.server.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer("127.0.0.1", free_port())

    def authenticate(_server, _session, _envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        server.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"p@ss:w/rd#1", handled=False)

    controller = Controller(_Handler(server), hostname=server.host, port=server.port, authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --- webhook ---------------------------------------------------------------------------------------


@dataclass
class WebhookServer:
    url: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)  # answered in turn; 200 once they run out
    answered: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def channel(self, **kwargs: Any) -> WebhookChannel:
        kwargs.setdefault("sleep", lambda _seconds: None)
        return WebhookChannel(self.url, timeout=5, **kwargs)

    def accepted(self) -> list[dict[str, Any]]:
        with self.lock:
            return [b for b, s in zip(self.bodies, self.answered, strict=True) if s == 200]

    def item_lines(self) -> list[str]:
        return [line for body in self.accepted() for line in body["text"].splitlines()[1:]]

    def titles(self) -> list[str]:
        """The item titles of every accepted message, one per reminder ("Due: <title> — in 30 days (...)")."""
        return [line.split(": ", 1)[1].rsplit(" — ", 1)[0] for line in self.item_lines()]


@pytest.fixture
def webhook_server() -> Iterator[WebhookServer]:
    state = WebhookServer(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with state.lock:
                status = state.statuses.pop(0) if state.statuses else 200
                state.bodies.append(body)
                state.answered.append(status)
            if status == SLOW:
                time.sleep(1.5)
                status = 200
            try:
                self.send_response(status)
                if status == 429:
                    self.send_header("Retry-After", "3")
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"error")
            except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting (the timeout test)
                pass

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/hooks/T000/B000/secret"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# --- database ------------------------------------------------------------------------------------


@pytest.fixture
def live_engine(scratch) -> Iterator[Engine]:
    """A fresh migrated database of this backend; the job opens its own sessions on it and commits."""
    url = scratch.new_url()
    engine = make_engine(url, pool_size=8, max_overflow=8)
    with engine.begin() as connection:
        migrations.upgrade(connection)
    engine.url_for_subprocess = url  # type: ignore[attr-defined]
    yield engine
    engine.dispose()


def job_settings(**overrides: Any) -> Settings:
    return Settings(_env_file=None, **({"public_url": PUBLIC_URL} | overrides))  # type: ignore[call-arg]


@dataclass
class Clock:
    at: datetime = field(default_factory=lambda: datetime(2026, 11, 29, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


TODAY = date(2026, 11, 29)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def session_on(live_engine: Engine):
    def open_() -> Session:
        return Session(live_engine, expire_on_commit=False)

    return open_
