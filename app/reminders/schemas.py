"""Response shapes of the reminders API."""

from datetime import date, datetime

from pydantic import ConfigDict, Field

from app.core.schemas import ResponseModel


class ReminderItemPublic(ResponseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "key": "document:12:expires:2027-01-31", "kind": "document_expires", "due_on": "2027-01-31", "days_left": 30,
        "title": "Data processing agreement (Acme) expires", "detail": "Renew the agreement and upload the new version, "
        "or offboard the vendor.", "link": "/documents/12", "url": "https://riskreg.example.com/documents/12",
        "role": "procurement", "owner_id": 4}]})

    key: str = Field(description="Stable: the same item has the same key on every day it is listed")
    kind: str
    due_on: date
    days_left: int = Field(description="Days until due_on; negative when overdue")
    title: str
    detail: str
    link: str | None = Field(description="Path of the item in riskreg")
    url: str | None = Field(description="The link under RISKREG_PUBLIC_URL, when that is set")
    role: str = Field(description="The role that acts on it")
    owner_id: int | None = Field(description="The user who owns it (uploader, requester, reviewer), if any")


class UpcomingList(ResponseModel):
    today: date
    until: date
    items: list[ReminderItemPublic]


class CalendarTokenIssued(ResponseModel):
    """Returned once, when the feed URL is created: the token is never shown again."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": 3, "prefix": "rrcal_Xy12ab", "created_at": "2026-11-29T09:30:00Z", "token": "rrcal_…",
        "url": "https://riskreg.example.com/calendar.ics?token=rrcal_…"}]})

    id: int
    prefix: str
    created_at: datetime
    token: str
    url: str = Field(description="Subscribe to this URL in a calendar client; anyone holding it sees your reminders")


class CalendarTokenRevoked(ResponseModel):
    revoked: int = Field(description="How many feed URLs stopped working (0 or 1)")
