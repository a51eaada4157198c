"""Jinja templates for pages. Autoescaping is on because every template name ends in `.html`.

Every page gets `user` (when signed in), `can(permission)` and the one-time notice left by the previous
POST (`flash`), so the layout can show the navigation a role may use and "Saved." after a redirect.
"""

import base64
import binascii
from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from app.auth.permissions import Permission, allowed
from app.core.config import get_settings
from app.core.security import same, sign
from app.web.csrf import CsrfToken

APP_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = APP_DIR / "templates"
STATIC_DIR = APP_DIR / "static"
FLASH_COOKIE = "riskreg_flash"
MAX_FLASH = 500  # characters of a notice
# The longest cookie a notice makes: base64 of MAX_FLASH characters of up to 4 UTF-8 bytes each, a dot and the
# signature (with room to spare). A vendor name of 200 emoji makes a notice of some 900 bytes.
_MAX_FLASH_COOKIE = 4 * -(-4 * MAX_FLASH // 3) + 100

templates = Jinja2Templates(directory=TEMPLATES_DIR)


def _flash_value(text: str) -> str:
    payload = base64.urlsafe_b64encode(text[:MAX_FLASH].encode()).decode()
    return f"{payload}.{sign(get_settings().secret_key.get_secret_value(), 'flash:' + payload)}"


def _read_flash(request: Request) -> str | None:
    """The notice a redirect left, if its signature holds (a cookie set by anyone else is ignored)."""
    raw = request.cookies.get(FLASH_COOKIE, "")
    payload, _, signature = raw.partition(".")
    if not payload or len(raw) > _MAX_FLASH_COOKIE:
        return None
    if not same(sign(get_settings().secret_key.get_secret_value(), "flash:" + payload), signature):
        return None
    try:
        return base64.urlsafe_b64decode(payload.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def redirect(url: str, notice: str | None = None) -> RedirectResponse:
    """The answer to a page POST that worked: 303 to `url`, which shows `notice` once."""
    response = RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})
    if notice:
        response.set_cookie(FLASH_COOKIE, _flash_value(notice), max_age=120, path="/", httponly=True,
                            samesite="lax", secure=get_settings().secure_cookies)
    return response


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    csrf: CsrfToken | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A page response. With `csrf`, the template gets `csrf_token` and the cookie is set when new.

    Pages are never cached: they carry a CSRF token or a signed-in user's data.
    """
    if not name.endswith(".html"):
        raise ValueError(f"template {name!r}: page templates must end in .html so they are autoescaped")
    context = dict(context or {})
    if csrf is not None:
        context["csrf_token"] = csrf.field
    user = context.get("user")
    context.setdefault("can", lambda permission: user is not None and allowed(user.role, Permission(permission)))
    flash = _read_flash(request) if FLASH_COOKIE in request.cookies else None
    context.setdefault("flash", flash)
    response = templates.TemplateResponse(
        request, name, context, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})}
    )
    if csrf is not None:
        csrf.attach(response)
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="lax",
                               secure=get_settings().secure_cookies)
    return response
