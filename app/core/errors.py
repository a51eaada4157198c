"""Domain errors and the handlers that turn them into `{"error", "detail"}` responses."""

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("riskreg.errors")


class DomainError(Exception):
    """A refusal the user can act on. Subclass names become the `error` field (`VendorNotFound`)."""

    status_code = 400

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers

    @property
    def error(self) -> str:
        return type(self).__name__


class NotFound(DomainError):
    status_code = 404


class PermissionDenied(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class InvalidState(DomainError):
    status_code = 409


class PreconditionFailed(DomainError):
    status_code = 412


class PayloadTooLarge(DomainError):
    status_code = 413


class InvalidInput(DomainError):
    status_code = 422


class PreconditionRequired(DomainError):
    status_code = 428


class ErrorBody(BaseModel):
    """What every error response carries: a stable name and a sentence saying what to fix."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"error": "VendorNotFound", "detail": "No vendor with id 42."}]}
    )

    error: str
    detail: str
    errors: list[dict[str, Any]] | None = None


_HTTP_NAMES = {
    400: "BadRequest",
    401: "NotAuthenticated",
    403: "PermissionDenied",
    404: "NotFound",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    429: "TooManyRequests",
}


# Paths that answer JSON (or files) although they sit outside /api/; every other path is an HTML page.
NOT_PAGES = ("/api/", "/calendar.ics", "/healthz", "/readyz", "/openapi.json", "/docs", "/static/")


def is_page_path(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def internal_error_page(request_id: str) -> str:
    """The page a browser gets for an unexpected error: plain HTML (no template that could fail in turn)."""
    body = internal_error_body(request_id)["detail"]
    return ('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Something went wrong · riskreg</title>'
            '<link rel="stylesheet" href="/static/css/app.css"></head><body><main class="page"><h1>Something went '
            f'wrong</h1><div class="card"><p>{body}</p><p><a href="/">Back to the dashboard</a></p></div></main>'
            '</body></html>')


def internal_error_body(request_id: str) -> dict[str, str]:
    return {
        "error": "InternalError",
        "detail": f"An unexpected error occurred and was logged (request id {request_id}); nothing was saved.",
    }


def error_response(status_code: int, error: str, detail: str, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"error": error, "detail": detail}
    body.update({k: v for k, v in extra.items() if k != "headers" and v is not None})
    return JSONResponse(body, status_code=status_code, headers=extra.get("headers"))


def describe_validation_error(err: dict[str, Any]) -> str:
    """One readable sentence per pydantic error: where, and what to do about it."""
    loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path", "header")]
    where = ".".join(loc) if loc else "request body"
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        return f"{where}: unknown field; remove it (the accepted fields are listed in /openapi.json)"
    if kind == "json_invalid":
        ctx = err.get("ctx") or {}
        return f"request body is not valid JSON ({ctx.get('error', 'parse error')})"
    if kind == "missing":
        return f"{where}: field required"
    msg = str(err.get("msg", "invalid value"))
    msg = msg.removeprefix("Value error, ")
    return f"{where}: {msg}"


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document lists for `path` (Starlette's own 405 names only one route's)."""
    for template, operations in app.openapi()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            return sorted(method.upper() for method in operations)
    return []


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(_request: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc.status_code, exc.error, exc.detail, headers=exc.headers)

    @app.exception_handler(StaleDataError)
    async def _stale(_request: Request, _exc: StaleDataError) -> JSONResponse:
        # Two writers passed the If-Match check at once; the version guard on UPDATE caught the second.
        return error_response(
            412, "PreconditionFailed", "The record changed while your edit was being saved; GET it again and retry."
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "message": describe_validation_error(e)}
            for e in exc.errors()
        ]
        detail = "; ".join(e["message"] for e in errors) or "invalid request"
        return error_response(422, "ValidationError", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        name = _HTTP_NAMES.get(exc.status_code, "HTTPError")
        detail = exc.detail if isinstance(exc.detail, str) else name
        headers = getattr(exc, "headers", None)
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            detail = "The request body could not be parsed; send UTF-8 encoded JSON (or a well-formed form)."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such route; the API is documented at /docs and /openapi.json"
        if exc.status_code == 405 and (allowed := _allowed_methods(app, request.url.path)):
            headers = {**(headers or {}), "Allow": ", ".join(allowed)}
            detail = f"{request.method} is not allowed here; use {' or '.join(allowed)}"
        return error_response(exc.status_code, name, detail, headers=headers)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(request: Request, exc: OperationalError) -> JSONResponse:
        # The server is down, or (SQLite) still locked after the busy timeout: the request can be retried.
        log.error("database unavailable", extra={"request_id": getattr(request.state, "request_id", "-"),
                                                 "error": type(exc.orig).__name__})
        return error_response(
            503, "DatabaseUnavailable", "The database cannot be reached right now; nothing was saved. Retry shortly.",
            headers={"Retry-After": "5"},
        )
    # Any other exception is logged once, with the request id, and answered by RequestContextMiddleware.
