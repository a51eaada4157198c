"""ASGI middleware: request ids and request logging, and a body size limit enforced while streaming."""

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import internal_error_body, internal_error_page, is_page_path

log = logging.getLogger("riskreg.request")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,200}$")


class RequestContextMiddleware:
    """Takes `X-Request-ID` (Heroku's router sets it) or makes one, echoes it, logs one line per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        began = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_id(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            # Logged here, once, with the request id; the client gets a JSON 500 with no internals.
            log.exception("unhandled error", extra={"request_id": request_id})
            status = 500
            if not started and is_page_path(scope["path"]):
                await _send_html(send_with_id, 500, internal_error_page(request_id))
            elif not started:
                await _send_json(send_with_id, 500, internal_error_body(request_id))
        finally:
            route = scope.get("route")
            log.info(
                "request",
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "path": _loggable_path(scope),
                    "route": getattr(route, "path", None),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - began) * 1000, 2),
                    "user_id": scope["state"].get("user_id"),
                },
            )


def _loggable_path(scope: Scope) -> str:
    """The request path, except where it carries a secret (a vendor's invite link): then its template."""
    template = getattr(scope.get("route"), "path", None)
    if template and "{secret}" in template:
        return template
    return str(scope["path"])


class _BodyTooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so FastAPI's body parsing passes it through as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_detail(limit))


def _too_large_detail(limit: int) -> str:
    return f"The request body is larger than the {limit} bytes this route accepts; send less."


class BodySizeLimitMiddleware:
    """Refuses a body over `max_bytes` with 413, by `Content-Length` or while it streams in.

    Nothing downstream sees more than `max_bytes`, so nothing over the limit is parsed or written.
    Routes that take uploads raise the limit for themselves with `route_limits`, keyed by path
    template (`/api/v1/vendors/{vendor_id}/documents`; a `{name}` matches one path segment).
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, route_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.route_limits = [(_template_pattern(t), limit) for t, limit in (route_limits or {}).items()]

    def limit_for(self, path: str) -> int:
        for pattern, limit in self.route_limits:
            if pattern.fullmatch(path):
                return limit
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        length = dict(scope.get("headers") or []).get(b"content-length")
        if length is not None and not length.isdigit():
            await _send_json(send, 400, {"error": "BadRequest", "detail": "Content-Length must be a number."}, close=True)
            return
        if length is not None and int(length) > limit:
            await _reject(send, limit)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await _reject(send, limit)


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile("".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p))


async def _reject(send: Send, limit: int) -> None:
    await _send_json(send, 413, {"error": "PayloadTooLarge", "detail": _too_large_detail(limit)}, close=True)


async def _send_html(send: Send, status: int, page: str) -> None:
    payload = page.encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(payload)).encode()),
               (b"cache-control", b"no-store")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


async def _send_json(send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


# Pages: no inline script or style, nothing from another origin, never framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
# FastAPI's Swagger UI (/docs) loads its script and CSS from cdn.jsdelivr.net and starts with an inline
# script, so it gets this policy instead. It shows only the API's own schema and sets no cookie; serving a
# vendored Swagger UI from /static would let it use the strict policy too.
DOCS_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Adds CSP, nosniff, referrer and framing headers to every response (HSTS when `hsts`).

    A header the response already sets is kept, so a route that needs its own policy can say so.
    """

    def __init__(
        self, app: ASGIApp, *, hsts: bool, docs_paths: tuple[str, ...] = ("/docs", "/docs/oauth2-redirect")
    ) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        common = [
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"x-frame-options", b"DENY"),
        ]
        if hsts:
            common.append((b"strict-transport-security", HSTS.encode()))
        self._headers = [(b"content-security-policy", CONTENT_SECURITY_POLICY.encode()), *common]
        self._docs_headers = [(b"content-security-policy", DOCS_CONTENT_SECURITY_POLICY.encode()), *common]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = self._docs_headers if scope["path"] in self.docs_paths else self._headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                headers.extend((name, value) for name, value in extra if name not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
