"""Reminders API: what falls due, the caller's calendar feed URL, and the feed itself (`/calendar.ics`)."""

from datetime import date, datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Response, status

from app.auth.deps import Public, Requires, actor_of
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.db import utcnow
from app.core.deps import SessionDep, SettingsDep, errors
from app.reminders import schedule
from app.reminders import service as reminder_service
from app.reminders.channels import absolute, calendar
from app.reminders.schemas import CalendarTokenIssued, CalendarTokenRevoked, ReminderItemPublic, UpcomingList

router = APIRouter(prefix="/api/v1/reminders", tags=["reminders"])
feed_tokens = APIRouter(prefix="/api/v1/me/calendar-token", tags=["reminders"])
feed = APIRouter(tags=["reminders"])
Reader = Annotated[User, Requires(Permission.reminder_read)]
# The feed shows recent deadlines (overdue ones stay visible) and what lies ahead.
FEED_PAST_DAYS = 90
FEED_AHEAD_DAYS = 730




def _public(item: schedule.DueItem, *, today: date, public_url: str | None) -> ReminderItemPublic:
    return ReminderItemPublic(
        key=item.key, kind=item.kind.value, due_on=item.due_on, days_left=(item.due_on - today).days, title=item.title,
        detail=item.detail, link=item.link, url=absolute(item.link, public_url) if public_url else None, role=item.role,
        owner_id=item.owner_id,
    )


@router.get("/upcoming", responses=errors())
def upcoming(
    session: SessionDep, settings: SettingsDep, user: Reader,
    within: Annotated[int, Query(ge=0, le=3650, description="Days ahead of today; overdue items are always included")] = 90,
    mine: Annotated[bool, Query(description="Only items you own or your role acts on")] = False,
) -> UpcomingList:
    """Assessment validity ends, document expiries and notice deadlines, stale evidence, add-on requests waiting
    for a decision and the signing certificate's expiry, soonest first."""
    today = date.today()
    items = reminder_service.upcoming(session, today=today, within=within, rules=reminder_service.rules_from(settings),
                                      certificate=reminder_service.configured_certificate(settings), user=user if mine else None)
    return UpcomingList(today=today, until=date.fromordinal(today.toordinal() + within),
                        items=[_public(i, today=today, public_url=settings.public_url) for i in items])


@feed_tokens.post("", status_code=status.HTTP_201_CREATED, responses=errors())
def create_calendar_token(session: SessionDep, settings: SettingsDep, user: Reader) -> CalendarTokenIssued:
    """A new calendar feed URL for you (your previous one stops working). The token is in this response only."""
    issued = reminder_service.issue_feed_token(session, actor=actor_of(user), user=user)
    path = f"/calendar.ics?token={quote(issued.secret)}"
    return CalendarTokenIssued(id=issued.token.id, prefix=issued.token.prefix, created_at=issued.token.created_at,  # type: ignore[arg-type]
                               token=issued.secret, url=absolute(path, settings.public_url) or path)


@feed_tokens.delete("", responses=errors())
def revoke_calendar_token(session: SessionDep, user: Reader) -> CalendarTokenRevoked:
    """Stop your calendar feed URL working."""
    return CalendarTokenRevoked(revoked=len(reminder_service.revoke_feed_token(session, actor=actor_of(user), user=user)))


@feed.get(
    "/calendar.ics", dependencies=[Public], response_class=Response,
    responses={200: {"content": {"text/calendar": {}}, "description": "An iCalendar (RFC 5545) feed"},
               **errors(404)},
)
def calendar_feed(
    session: SessionDep, settings: SettingsDep,
    token: Annotated[str, Query(min_length=8, max_length=200, description="The token from POST /api/v1/me/calendar-token")],
) -> Response:
    """Your reminders as all-day events on their due dates, for a calendar client to subscribe to. The token in
    the URL is the credential (no `Authorization` header: calendar clients cannot send one)."""
    user = reminder_service.user_for_feed_token(session, token)
    today = date.today()
    items = reminder_service.upcoming(session, today=today, within=FEED_AHEAD_DAYS,
                                      rules=reminder_service.rules_from(settings), certificate=reminder_service.configured_certificate(settings),
                                      user=user)
    since = date.fromordinal(today.toordinal() - FEED_PAST_DAYS)
    body = calendar([i for i in items if i.due_on >= since], name="riskreg reminders",
                    public_url=settings.public_url, stamp=_stamp())
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Cache-Control": "private, no-store", "Content-Disposition": 'inline; filename="riskreg.ics"'})


def _stamp() -> datetime:
    return utcnow().replace(microsecond=0)
