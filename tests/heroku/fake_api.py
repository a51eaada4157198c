"""A local fake of the Heroku Platform API: a real HTTP server on 127.0.0.1 serving a `RawEstate`.

It checks the Bearer token and the `version=3` Accept header, pages lists with `Range`/`Next-Range`
(206 until the last page), can answer 429 for the next K requests, and logs every request.
Use the `fake_heroku` fixture, or `with FakeHeroku(estate) as api:` outside pytest (benchmarks).
"""

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from app.heroku.client import HerokuClient
from tests.heroku.estate_factory import RawEstate, make_estate

FAKE_TOKEN = "hrku-fake-0123456789abcdef-token"  # a test token, recognisable in a leak
DEFAULT_PAGE_SIZE = 200  # Heroku's default; its cap is 1,000
_RANGE = re.compile(r"^\s*(?P<field>[a-z_]+)\s+(?P<open>\]?)(?P<start>[^.;\s]*)\.\.(?P<end>[^;]*?)\s*(?:;\s*(?P<opts>.*))?$")

Obj = dict[str, Any]


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # without the query string, percent-decoded
    headers: dict[str, str]  # lower-cased names
    status: int

    @property
    def range(self) -> str | None:
        return self.headers.get("range")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, fake: "FakeHeroku") -> None:
        self.fake = fake
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections too, so a stopped server really refuses the next request."""
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the client's connection pool expects
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall per request
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the fake keeps its own log

    def do_GET(self) -> None:
        self.server.fake._handle(self)

    def _reply(self, status: int, body: Any, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


def _error(status: int, ident: str, message: str) -> tuple[int, Obj, dict[str, str]]:
    return status, {"id": ident, "message": message}, {}


class FakeHeroku:
    """The knobs, all safe to change while the server runs:

    - `token`: the only Bearer token accepted (401 `unauthorized` otherwise; plan lookups accept no token).
    - `page_size`: items per page, and the cap on a requested `max=` (Heroku: 200 by default, 1,000 cap).
    - `rate_limit(times, retry_after="0")`: the next `times` requests get 429 (`RateLimit-Remaining: 0`,
      plus `Retry-After` unless it is None).
    - `fail(times, status=503)`: the next `times` requests get that 5xx.
    - `remove_addon(id_or_name)`: the add-on and its attachments disappear, as after `addons:destroy`.
    - `estate`: the served `RawEstate` (a private copy); replace or edit it between syncs.
    - `requests`: the log (`LoggedRequest`), `requests_to(prefix)`, `clear_log()`.
    """

    def __init__(self, estate: RawEstate | None = None, *, token: str = FAKE_TOKEN,
                 page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.estate = (estate or make_estate()).copy()
        self.token = token
        self.page_size = page_size
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._rate_limited = 0
        self._retry_after: str | None = "0"
        self._failures = 0
        self._failure_status = 503
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    # --- lifecycle ---

    def start(self) -> "FakeHeroku":
        self._server = _Server(self)
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-heroku", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> "FakeHeroku":
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def make_client(self, **options: Any) -> HerokuClient:
        """A client for this server: never through an HTTP proxy, and never really sleeping."""
        options.setdefault("transport", httpx.HTTPTransport())
        options.setdefault("sleep", lambda _seconds: None)
        return HerokuClient(self.url, options.pop("token", self.token), **options)

    # --- knobs ---

    def rate_limit(self, times: int, *, retry_after: str | None = "0") -> None:
        with self._lock:
            self._rate_limited = times
            self._retry_after = retry_after

    def fail(self, times: int, *, status: int = 503) -> None:
        with self._lock:
            self._failures = times
            self._failure_status = status

    def remove_addon(self, id_or_name: str) -> Obj:
        with self._lock:
            addon = next(a for a in self.estate.addons if id_or_name in (a["id"], a["name"]))
            self.estate.addons.remove(addon)
            self.estate.attachments = [x for x in self.estate.attachments if x["addon"]["id"] != addon["id"]]
            return addon

    def requests_to(self, prefix: str) -> list[LoggedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(prefix)]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # --- serving ---

    def _handle(self, handler: _Handler) -> None:
        headers = {name.lower(): value for name, value in handler.headers.items()}
        path = unquote(urlsplit(handler.path).path)
        status, body, extra = self._answer(path, headers)
        extra = {"RateLimit-Remaining": "0" if status == 429 else "4321", **extra}
        with self._lock:
            self.requests.append(LoggedRequest("GET", path, headers, status))
        handler._reply(status, body, extra)

    def _answer(self, path: str, headers: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            if self._rate_limited > 0:
                self._rate_limited -= 1
                extra = {} if self._retry_after is None else {"Retry-After": self._retry_after}
                return 429, {"id": "rate_limit", "message": "Your account reached the API rate limit\n"
                             "Please wait a few minutes before making new requests"}, extra
            if self._failures > 0:
                self._failures -= 1
                return _error(self._failure_status, "unavailable", "The API is temporarily unavailable.")
        if "version=3" not in headers.get("accept", ""):
            return _error(400, "bad_request", "Accept header must be application/vnd.heroku+json; version=3")
        parts = [p for p in path.split("/") if p]
        # Plan details need no token (an invalid one is still refused, as on Heroku).
        public = (len(parts) >= 3 and parts[0] == "addon-services" and parts[2] == "plans") or parts[:1] == ["plans"]
        auth = headers.get("authorization")
        if auth != f"Bearer {self.token}" and not (public and auth is None):
            return _error(401, "unauthorized", "Invalid credentials provided.")
        with self._lock:
            found = self._route(parts)
        if found is None:
            return _error(404, "not_found", "Couldn't find that resource.")
        if isinstance(found, list):
            return self._page(found, headers.get("range"))
        return 200, found, {}

    def _route(self, parts: list[str]) -> Obj | list[Obj] | None:
        e = self.estate

        def one(items: list[Obj], ident: str, *keys: str) -> Obj | None:
            return next((x for x in items if any(x.get(k) == ident for k in keys)), None)

        match parts:
            case ["apps"]:
                return e.apps
            case ["apps", ident]:
                return one(e.apps, ident, "id", "name")
            case ["apps", ident, "addons"]:
                app = one(e.apps, ident, "id", "name")
                if app is None:
                    return None
                attached = {x["addon"]["id"] for x in e.attachments if x["app"]["id"] == app["id"]}
                return [a for a in e.addons if a["app"]["id"] == app["id"] or a["id"] in attached]
            case ["apps", ident, "addon-attachments"]:
                app = one(e.apps, ident, "id", "name")
                return None if app is None else [x for x in e.attachments if x["app"]["id"] == app["id"]]
            case ["spaces"]:
                return e.spaces
            case ["spaces", ident]:
                return one(e.spaces, ident, "id", "name")
            case ["addons"]:
                return e.addons
            case ["addons", ident]:
                return one(e.addons, ident, "id", "name")
            case ["addons", ident, "addon-attachments"]:
                addon = one(e.addons, ident, "id", "name")
                return None if addon is None else [x for x in e.attachments if x["addon"]["id"] == addon["id"]]
            case ["addon-attachments"]:
                return e.attachments
            case ["addon-services"]:
                return e.services
            case ["addon-services", ident]:
                return one(e.services, ident, "id", "name")
            case ["addon-services", ident, "plans"]:
                service = one(e.services, ident, "id", "name")
                return None if service is None else [p for p in e.plans if p["addon_service"]["id"] == service["id"]]
            case ["addon-services", ident, "plans", plan_ident]:
                service = one(e.services, ident, "id", "name")
                if service is None:
                    return None
                return next((p for p in e.plans if p["addon_service"]["id"] == service["id"] and plan_ident in (
                    p["id"], p["name"], p["name"].split(":", 1)[1])), None)
            case ["plans", ident]:
                return one(e.plans, ident, "id", "name")
        return None

    def _page(self, items: list[Obj], range_header: str | None) -> tuple[int, Any, dict[str, str]]:
        """`Range: <field> [\\]]<start>..[<end>][; max=N]`: items sorted by the field, from `start`
        (exclusive after `]`), at most min(N, page_size). 206 + Next-Range while more remain."""
        field, start, exclusive, limit = "id", "", False, self.page_size
        if range_header:
            match = _RANGE.match(range_header)
            if match is None or match["field"] not in ("id", "name"):
                return _error(400, "bad_request", f"Invalid Range header: {range_header}")
            field, start, exclusive = match["field"], match["start"], bool(match["open"])
            for option in (match["opts"] or "").split(","):
                key, _, value = option.strip().partition("=")
                if key == "max" and value.isdigit() and int(value) > 0:
                    limit = min(int(value), self.page_size)
        ordered = sorted(items, key=lambda x: str(x.get(field)))
        if start:
            ordered = [x for x in ordered if (str(x.get(field)) > start if exclusive else str(x.get(field)) >= start)]
        page, rest = ordered[:limit], ordered[limit:]
        if not rest:
            return 200, page, {"Content-Range": f"{field} ..; max={limit}"}
        last = str(page[-1].get(field))
        return 206, page, {"Next-Range": f"{field} ]{last}..; max={limit}",
                           "Content-Range": f"{field} {page[0].get(field)}..{last}; max={limit}"}


def start_fake_heroku(estate: RawEstate | None = None, **options: Any) -> FakeHeroku:
    return FakeHeroku(estate, **options).start()


@pytest.fixture
def fake_heroku() -> Iterator[FakeHeroku]:
    """A running fake API serving the default `make_estate()` (a fresh copy per test)."""
    api = FakeHeroku(_default_estate())
    api.start()
    try:
        yield api
    finally:
        api.stop()


_cached: list[RawEstate] = []


def _default_estate() -> RawEstate:
    if not _cached:
        _cached.append(make_estate())
    return _cached[0]  # FakeHeroku copies it

