"""CSRF protection for HTML forms: a signed double-submit token plus an Origin / Sec-Fetch-Site check.

A form page sets a random `riskreg_csrf` cookie and puts HMAC(secret key, cookie) in a hidden field;
a POST passes only when both agree and the browser does not say the request came from another site.
"""

import re
import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request
from starlette.responses import Response

from app.core.config import Settings
from app.core.deps import SettingsDep
from app.core.errors import PermissionDenied
from app.core.security import same, sign

CSRF_COOKIE = "riskreg_csrf"
CSRF_FIELD = "csrf_token"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)
_SAME_SITE_FETCH = frozenset({"same-origin", "none"})  # "none": typed URL, bookmark


class CsrfRefused(PermissionDenied):
    """A form POST without a valid token, or one the browser says came from another site."""


@dataclass(frozen=True)
class CsrfToken:
    """What a form page needs: the hidden field's value, and the cookie to set if the browser had none."""

    cookie: str
    field: str
    is_new: bool
    secure: bool

    def attach(self, response: Response) -> None:
        if self.is_new:
            set_csrf_cookie(response, self.cookie, secure=self.secure)


def _field_for(settings: Settings, cookie: str) -> str:
    return sign(settings.secret_key.get_secret_value(), cookie)


def set_csrf_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, value, path="/", httponly=True, samesite="lax", secure=secure)


def new_csrf_token(settings: Settings) -> CsrfToken:
    """A fresh cookie and field, e.g. after sign-in so a token planted before it is worth nothing."""
    cookie = secrets.token_urlsafe(32)
    return CsrfToken(cookie=cookie, field=_field_for(settings, cookie), is_new=True, secure=settings.secure_cookies)


def form_csrf_token(request: Request, settings: SettingsDep) -> CsrfToken:
    """For pages that render a form: reuses the browser's cookie (other tabs keep working) or makes one."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not _COOKIE_VALUE.match(cookie):
        return new_csrf_token(settings)
    return CsrfToken(cookie=cookie, field=_field_for(settings, cookie), is_new=False, secure=settings.secure_cookies)


def _from_another_site(request: Request) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site.lower() not in _SAME_SITE_FETCH:
        return True
    origin = request.headers.get("origin")
    if origin == "null" and fetch_site is not None and fetch_site.lower() == "same-origin":
        # A page sent with `Referrer-Policy: no-referrer` (the vendor's invite form) makes Chromium post
        # `Origin: null`; Sec-Fetch-Site, which the page cannot influence, still says where it came from.
        return False
    own = f"{request.url.scheme}://{request.url.netloc}".lower()
    return origin is not None and origin.lower() != own


def verify_csrf(
    request: Request,
    settings: SettingsDep,
    csrf_token: Annotated[str, Form()] = "",
) -> None:
    """Lets a form POST through only with a token matching its cookie, sent from this site."""
    if _from_another_site(request):
        raise CsrfRefused("This form was sent from another site; nothing was changed.")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not csrf_token or not same(_field_for(settings, cookie), csrf_token):
        raise CsrfRefused("This form has expired; nothing was changed. Reload the page and try again.")


CsrfProtected = Depends(verify_csrf)
FormCsrf = Annotated[CsrfToken, Depends(form_csrf_token)]


def clear_csrf_cookie(response: Response, *, secure: bool) -> None:
    response.delete_cookie(CSRF_COOKIE, path="/", httponly=True, samesite="lax", secure=secure)
