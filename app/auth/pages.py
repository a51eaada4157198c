"""The account page (/account): who you are and what your role may do, your API tokens (created, shown once,
revoked), your calendar feed URL and what falls due for you. The same service calls as /api/v1/tokens and
/api/v1/me/calendar-token."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlsplit, urlunsplit

from fastapi import APIRouter, Form, Request
from pydantic import ValidationError
from sqlmodel import Session
from starlette.responses import Response

from app.auth import service as auth_service
from app.auth.deps import actor_of
from app.auth.models import ApiToken, User
from app.auth.permissions import DESCRIPTIONS, Permission, allowed
from app.auth.schemas import TokenCreate
from app.core.config import Settings
from app.core.db import utcnow
from app.core.deps import RowId, SessionDep, SettingsDep
from app.reminders import schedule
from app.reminders import service as reminder_service
from app.reminders.channels import absolute
from app.web.csrf import CsrfProtected, FormCsrf
from app.web.deps import web_requires
from app.web.templating import redirect, render

router = APIRouter(include_in_schema=False)
Self = Annotated[User, web_requires(Permission.account_self)]
Subscriber = Annotated[User, web_requires(Permission.reminder_read)]

DUE_WITHIN_DAYS = 90
DUE_SHOWN = 20
MAX_EXPIRY_DAYS = 3650
NAME_HELP = "What uses it, so you recognise it later, e.g. “ci-export”."
EXPIRY_HELP = f"1 to {MAX_EXPIRY_DAYS} days. Leave it empty for a token that never expires."


@dataclass(frozen=True)
class TokenRow:
    id: int
    name: str
    prefix: str
    created_on: str
    expires_on: str
    status: str  # active | expired | revoked
    revoked_on: str | None


def _day(value: datetime | None) -> str:
    return value.date().isoformat() if value else ""


def token_row(token: ApiToken, *, now: datetime) -> TokenRow:
    if token.revoked_at is not None:
        status = "revoked"
    elif token.expires_at is not None and token.expires_at <= now:
        status = "expired"
    else:
        status = "active"
    return TokenRow(id=token.id, name=token.name, prefix=token.prefix, created_on=_day(token.created_at),  # type: ignore[arg-type]
                    expires_on=_day(token.expires_at) or "never", status=status,
                    revoked_on=_day(token.revoked_at) or None)




def _base_url(request: Request, settings: Settings) -> str:
    """RISKREG_PUBLIC_URL when set (as the API builds feed URLs); else the address this page was opened at."""
    return (settings.public_url or str(request.base_url)).rstrip("/")


def _webcal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:])) if parts.scheme in ("http", "https") else url


def _page(
    request: Request, session: Session, settings: Settings, user: User, csrf: Any, *, status_code: int = 200,
    **extra: Any,
) -> Response:
    now = utcnow()
    assert user.id is not None
    subscriber = allowed(user.role, Permission.reminder_read)
    due: list[tuple[schedule.DueItem, str]] = []
    feed = None
    if subscriber:
        today = date.today()
        items = reminder_service.upcoming(session, today=today, within=DUE_WITHIN_DAYS,
                                          rules=reminder_service.rules_from(settings),
                                          certificate=reminder_service.configured_certificate(settings), user=user)
        due = [(item, schedule.when(item, today=today)) for item in items]
        feed = reminder_service.active_feed_token(session, user_id=user.id)
    context = {
        "user": user, "active_section": "account",
        "permissions": [DESCRIPTIONS[p] for p in Permission if allowed(user.role, p)],
        "tokens": [token_row(t, now=now) for t in reversed(auth_service.list_tokens(session, user_id=user.id))],
        "subscriber": subscriber, "feed": feed, "due": due[:DUE_SHOWN], "due_more": max(len(due) - DUE_SHOWN, 0),
        "due_days": DUE_WITHIN_DAYS, "form": {"name": "", "expires_in_days": ""}, "errors": {},
        "name_help": NAME_HELP, "expiry_help": EXPIRY_HELP, "issued": None, "feed_url": None,
        "api_base": _base_url(request, settings),
        "feed_webcal": None,
    } | extra
    return render(request, "account/page.html", context, csrf=csrf, status_code=status_code)


@router.get("/account")
def account_page(request: Request, session: SessionDep, settings: SettingsDep, user: Self, csrf: FormCsrf) -> Response:
    return _page(request, session, settings, user, csrf)


_NAME_MESSAGES = {
    "missing": "Give the token a name.", "string_too_short": "Give the token a name.",
    "string_too_long": "Use at most 100 characters.",
}


def _token_input(name: str, expires_in_days: str) -> tuple[TokenCreate | None, dict[str, str]]:
    """The form's values as the tokens API's request; a message per field when they are not acceptable."""
    errors: dict[str, str] = {}
    raw_days = expires_in_days.strip()
    days: int | None = None
    if raw_days:
        if raw_days.isdecimal() and len(raw_days) <= 6:
            days = int(raw_days)
        else:
            errors["expires_in_days"] = f"Enter a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it empty."
    try:
        data = TokenCreate(name=name, expires_in_days=days)
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0]) if error.get("loc") else "name"
            if field == "expires_in_days":
                errors.setdefault(field, f"Enter a whole number of days from 1 to {MAX_EXPIRY_DAYS}, or leave it empty.")
            else:
                message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
                errors.setdefault("name", _NAME_MESSAGES.get(str(error.get("type")), f"The name {message}."))
        return None, errors
    return (None, errors) if errors else (data, errors)


@router.post("/account/tokens", dependencies=[CsrfProtected])
def create_token(
    request: Request, session: SessionDep, settings: SettingsDep, user: Self, csrf: FormCsrf,
    name: Annotated[str, Form()] = "", expires_in_days: Annotated[str, Form()] = "",
) -> Response:
    """Issues a token and shows its secret in this response only (201); a refused form comes back with the
    values kept and the problem next to its field (422), nothing stored."""
    data, errors = _token_input(name, expires_in_days)
    form = {"name": name[:200], "expires_in_days": expires_in_days[:20]}
    if data is None:
        return _page(request, session, settings, user, csrf, status_code=422, form=form, errors=errors)
    issued = auth_service.create_token(session, actor=actor_of(user), user=user, name=data.name,
                                       expires_in_days=data.expires_in_days)
    return _page(request, session, settings, user, csrf, status_code=201,
                 issued={"name": issued.token.name, "secret": issued.secret, "prefix": issued.token.prefix,
                         "expires_on": _day(issued.token.expires_at) or "never"})


@router.post("/account/tokens/{token_id}/revoke", dependencies=[CsrfProtected])
def revoke_token(token_id: RowId, session: SessionDep, user: Self) -> Response:
    """Revokes one of your own tokens (someone else's is not found: 404)."""
    assert user.id is not None
    token = auth_service.get_own_token(session, user_id=user.id, token_id=token_id)
    if token.revoked_at is not None:
        return redirect("/account", f"The token “{token.name}” was already revoked.")
    auth_service.revoke_token(session, token, actor=actor_of(user))
    return redirect("/account", f"The token “{token.name}” is revoked: it stopped working at once.")


@router.post("/account/calendar-token", dependencies=[CsrfProtected])
def create_calendar_token(
    request: Request, session: SessionDep, settings: SettingsDep, user: Subscriber, csrf: FormCsrf,
) -> Response:
    """A new calendar feed URL (the previous one stops working), shown in this response only (201)."""
    issued = reminder_service.issue_feed_token(session, actor=actor_of(user), user=user)
    url = absolute(f"/calendar.ics?token={quote(issued.secret)}", _base_url(request, settings))
    assert url is not None
    return _page(request, session, settings, user, csrf, status_code=201, feed_url=url, feed_webcal=_webcal(url))


@router.post("/account/calendar-token/revoke", dependencies=[CsrfProtected])
def revoke_calendar_token(session: SessionDep, user: Subscriber) -> Response:
    revoked = reminder_service.revoke_feed_token(session, actor=actor_of(user), user=user)
    if not revoked:
        return redirect("/account#calendar", "You had no calendar feed URL.")
    return redirect("/account#calendar", "Your calendar feed URL is revoked: calendars subscribed to it stop updating.")
