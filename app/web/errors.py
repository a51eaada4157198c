"""Page-only refusals: a CSRF failure gets a short HTML page, a missing sign-in a redirect to /login, and any
other refusal on a page path (not /api/…) an HTML page with the same sentence the API would send as JSON."""

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import RedirectResponse, Response

from app.core.config import get_settings
from app.core.errors import DomainError, describe_validation_error, is_page_path
from app.web.csrf import CsrfRefused, form_csrf_token
from app.web.deps import LOGIN_PATH, SignInRequired, clear_session_cookie
from app.web.templating import render

_TITLES = {400: "That request could not be used", 403: "Not allowed", 404: "Not found",
           405: "Not allowed here", 409: "That cannot be done now", 412: "Changed meanwhile",
           413: "Too large", 415: "Unsupported file", 422: "Check what you sent", 429: "Too many attempts",
           503: "Try again shortly"}
# A form's address opened as a page (the address bar after "Create token" or "Create invite link", Enter).
_FORM_ONLY = ("This address receives a form; it is not a page to open. Go back to the page the form is on "
              "and send it from there.")
_STALE = "The record changed while your edit was being saved; nothing was saved. Reload the page and try again."
_UNAVAILABLE = "The database cannot be reached right now; nothing was saved. Try again in a few seconds."


def is_page_request(request: Request) -> bool:
    return is_page_path(request.url.path)


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
        if not is_page_request(request):
            return await json_http(request, exc)
        detail = exc.detail if isinstance(exc.detail, str) else "That request could not be used."
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is no page at this address. Use the navigation above to find what you need."
        if exc.status_code == 405:
            allow = (getattr(exc, "headers", None) or {}).get("Allow", "")
            detail = (_FORM_ONLY if request.method == "GET" and "POST" in allow
                      else f"This address does not take a {request.method} request.")
        return error_page(request, exc.status_code, detail, getattr(exc, "headers", None))

    async def validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        if not is_page_request(request):
            return await json_validation(request, exc)
        detail = "; ".join(describe_validation_error(e) for e in exc.errors()) or "invalid request"
        return error_page(request, 422, f"The address or form could not be used: {detail}.")

    json_stale = app.exception_handlers[StaleDataError]
    json_unavailable = app.exception_handlers[OperationalError]

    async def stale(request: Request, exc: Exception) -> Response:
        if not is_page_request(request):
            return await json_stale(request, exc)
        return error_page(request, 412, _STALE)

    async def unavailable(request: Request, exc: Exception) -> Response:
        response = await json_unavailable(request, exc)  # logs it, as for the API
        if not is_page_request(request):
            return response
        return error_page(request, 503, _UNAVAILABLE, {"Retry-After": "5"})

    app.add_exception_handler(DomainError, domain)
    app.add_exception_handler(StaleDataError, stale)
    app.add_exception_handler(OperationalError, unavailable)
    app.add_exception_handler(StarletteHTTPException, http)
    app.add_exception_handler(RequestValidationError, validation)
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(SignInRequired, _sign_in_required)
