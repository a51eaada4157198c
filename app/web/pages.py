"""Sign-in and sign-out. The dashboard (/) is in `app/web/dashboard.py`."""

import math
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import RedirectResponse, Response

from app.auth import service as auth_service
from app.auth.deps import Public
from app.core.deps import SessionDep, SettingsDep
from app.core.schemas import clean_text
from app.core.security import MAX_PASSWORD_LENGTH
from app.web.csrf import CsrfProtected, CsrfToken, FormCsrf, clear_csrf_cookie, new_csrf_token
from app.web.deps import LOGIN_PATH, OptionalWebUser, clear_session_cookie, session_secret, set_session_cookie
from app.web.templating import render

router = APIRouter(include_in_schema=False)

WRONG_CREDENTIALS = "E-mail or password is wrong."
MAX_EMAIL_LENGTH = 254  # the longest address the user table stores


def _login_page(
    request: Request, csrf: CsrfToken, *, email: str = "", error: str | None = None, status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(request, "auth/login.html", {"email": email, "error": error}, status_code=status_code,
                  csrf=csrf, headers=headers)


@router.get("/login", dependencies=[Public])
def login_form(request: Request, user: OptionalWebUser, csrf: FormCsrf) -> Response:
    if user is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request, csrf)


@router.post("/login", dependencies=[Public, CsrfProtected])
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    csrf: FormCsrf,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
) -> Response:
    # Returns a page rather than raising on failure: the failed attempt recorded by sign_in must be committed,
    # because it is what the throttle counts.
    shown_email = email[:MAX_EMAIL_LENGTH]
    if not email.strip() or not password:
        return _login_page(request, csrf, email=shown_email, error="Enter your e-mail address and password.",
                           status_code=422)
    normalised = auth_service.normalise_email(email)
    try:
        clean_text(normalised)
    except ValueError:
        normalised = ""
    # Checked after normalising: lower-casing can lengthen text (İ becomes two characters).
    if not normalised or len(normalised) > MAX_EMAIL_LENGTH or len(password) > MAX_PASSWORD_LENGTH:
        # No account can match; refused without hashing or recording an over-long value.
        return _login_page(request, csrf, email=shown_email, error=WRONG_CREDENTIALS, status_code=401)
    result = auth_service.sign_in(
        session, email=email, password=password, max_failures=settings.login_max_failures,
        window_seconds=settings.login_window_seconds, session_hours=settings.session_hours,
    )
    if result.retry_after is not None:
        minutes = math.ceil(result.retry_after / 60)
        message = (f"Too many failed sign-ins for this account. Try again in {minutes} minute"
                   f"{'' if minutes == 1 else 's'}.")
        return _login_page(request, csrf, email=shown_email, error=message, status_code=429,
                           headers={"Retry-After": str(result.retry_after)})
    if result.user is None or result.session_secret is None:
        return _login_page(request, csrf, email=shown_email, error=WRONG_CREDENTIALS, status_code=401)
    previous = session_secret(request)
    if previous is not None:  # signing in again from the same browser ends the earlier session
        auth_service.sign_out(session, previous)
    response = RedirectResponse("/", status_code=303)
    set_session_cookie(response, result.session_secret, settings)
    # A new CSRF cookie with the new session: one planted in the browser before sign-in stops working.
    new_csrf_token(settings).attach(response)
    return response


@router.post("/logout", dependencies=[Public, CsrfProtected])
def logout(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    secret = session_secret(request)
    if secret is not None:
        auth_service.sign_out(session, secret)
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    clear_session_cookie(response, secure=settings.secure_cookies)
    clear_csrf_cookie(response, secure=settings.secure_cookies)
    return response
