"""Page-only refusals: a CSRF failure gets a short HTML page, a missing sign-in a redirect to /login, and any
other refusal on a page path (not /api/…) an HTML page with the same sentence the API would send as JSON."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from app.core.config import get_settings
from app.core.errors import DomainError, describe_validation_error
from app.web.csrf import CsrfRefused, form_csrf_token
from app.web.deps import LOGIN_PATH, SignInRequired, clear_session_cookie
from app.web.templating import render

# Paths that answer JSON (or files) even though they sit outside /api/.
_NOT_PAGES = ("/api/", "/calendar.ics", "/healthz", "/readyz", "/openapi.json", "/docs", "/static/")
_TITLES = {400: "That request could not be used", 403: "Not allowed", 404: "Not found",
           405: "Not allowed here", 409: "That cannot be done now", 412: "Changed meanwhile",
           413: "Too large", 415: "Unsupported file", 422: "Check what you sent", 429: "Too many attempts"}


def is_page_request(request: Request) -> bool:
    return not request.url.path.startswith(_NOT_PAGES)


def error_page(request: Request, status_code: int, detail: str, headers: dict[str, str] | None = None) -> Response:
    user = getattr(request.state, "web_user", None)
    return render(request, "errors/page.html", {
        "title": _TITLES.get(status_code, "Something went wrong"), "detail": detail, "user": user,
    }, status_code=status_code, headers=headers, csrf=form_csrf_token(request, get_settings()))


async def _csrf_refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, CsrfRefused)
    return render(request, "errors/csrf.html", {"detail": exc.detail}, status_code=403)


async def _sign_in_required(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    response = RedirectResponse(LOGIN_PATH, status_code=303, headers={"Cache-Control": "no-store"})
    if exc.stale_cookie:
        clear_session_cookie(response, secure=exc.secure)
    return response


def install_page_errors(app: FastAPI) -> None:
    """Called after `install_error_handlers`: wraps its JSON handlers so page paths get HTML instead."""
    json_domain = app.exception_handlers[DomainError]
    json_http = app.exception_handlers[StarletteHTTPException]
    json_validation = app.exception_handlers[RequestValidationError]

    async def domain(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, DomainError)
        if not is_page_request(request):
            return await json_domain(request, exc)
        return error_page(request, exc.status_code, exc.detail, exc.headers)

    async def http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not is_page_request(request) or exc.status_code == 405:
            return await json_http(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else "That request could not be used."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is no page at this address. Use the navigation above to find what you need."
        return error_page(request, exc.status_code, detail, getattr(exc, "headers", None))

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_page_request(request):
            return await json_validation(request, exc)
        detail = "; ".join(describe_validation_error(e) for e in exc.errors()) or "invalid request"
        return error_page(request, 422, f"The address or form could not be used: {detail}.")

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(SignInRequired, _sign_in_required)
