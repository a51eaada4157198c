"""The dashboard (/): where every role starts."""

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.web.csrf import FormCsrf
from app.web.deps import WebUser
from app.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def dashboard(request: Request, user: WebUser, csrf: FormCsrf) -> Response:
    return render(request, "dashboard.html", {"user": user, "active_section": "dashboard"}, csrf=csrf)
