"""Page-only refusals: a CSRF failure gets a short HTML page, a missing sign-in a redirect to /login."""

from fastapi import FastAPI, Request
from starlette.responses import RedirectResponse, Response

from app.web.csrf import CsrfRefused
from app.web.deps import LOGIN_PATH, SignInRequired, clear_session_cookie
from app.web.templating import render


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
    app.add_exception_handler(CsrfRefused, _csrf_refused)
    app.add_exception_handler(SignInRequired, _sign_in_required)
