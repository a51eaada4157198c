"""Jinja templates for pages. Autoescaping is on because every template name ends in `.html`."""

from pathlib import Path
from typing import Any

from fastapi import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from app.web.csrf import CsrfToken

APP_DIR = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = APP_DIR / "templates"
STATIC_DIR = APP_DIR / "static"

templates = Jinja2Templates(directory=TEMPLATES_DIR)


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
    response = templates.TemplateResponse(
        request, name, context, status_code=status_code, headers={"Cache-Control": "no-store", **(headers or {})}
    )
    if csrf is not None:
        csrf.attach(response)
    return response
