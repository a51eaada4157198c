"""The audit log viewer (/audit): events newest first with the API's filters, each change readable, the chain's
verification at the top, and the whole trail as a JSON Lines download (what `riskreg audit export` writes)."""

import io
import json
import logging
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from pydantic import TypeAdapter, ValidationError
from starlette.responses import Response, StreamingResponse

from app.audit import jobs as audit_jobs
from app.audit import service as audit_service
from app.auth import service as auth_service
from app.auth.models import User
from app.auth.permissions import Permission
from app.core.deps import MAX_ID, Day, SessionDep
from app.core.errors import NotFound
from app.core.schemas import clean_text
from app.web.csrf import FormCsrf
from app.web.deps import web_requires
from app.web.templating import render

log = logging.getLogger("riskreg.audit")
router = APIRouter(include_in_schema=False)
Reader = Annotated[User, web_requires(Permission.audit_read)]
Text = Annotated[str | None, Query(max_length=254)]

PAGE_SIZE = 50
# Verifying re-hashes every event (about 2 s for 100,000): done on each view up to this many (~0.1 s), beyond it
# only when asked with the "Verify the whole chain" button.
AUTO_VERIFY_EVENTS = 5_000
# Where an event's entity has a page (the web interface's URL map). An add-on request is an integration.
ENTITY_PAGES = {
    "vendor": "/vendors/{}",
    "integration": "/integrations/{}",
    "document": "/documents/{}",
    "assessment": "/assessments/{}",
    "response": "/responses/{}",
    "heroku_import": "/heroku/imports/{}",
}
ACTION_PAGES = {"addon_request": "/addon-requests/{}"}
ENTITY_LABELS = {
    "vendor": "Vendor", "integration": "Integration", "document": "Document", "assessment": "Assessment",
    "response": "Questionnaire response", "heroku_import": "Heroku import", "heroku_app": "Heroku app",
    "addon_service": "Add-on service", "user": "User", "account": "Sign-in", "api_token": "API token",
    "calendar_feed_token": "Calendar feed", "questionnaire_version": "Questionnaire",
}
SUMMARY_FIELDS = 3
SUMMARY_VALUE_CHARS = 60
_days = TypeAdapter(Day)
_EXPORT_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventView:
    seq: int
    at: str
    actor: str
    actor_type: str
    actor_id: int | None
    action: str
    entity: str
    entity_url: str | None
    summary: str
    changes: list[Change]  # field-by-field before/after, when the event recorded its change that way
    raw: str | None  # otherwise the recorded change as indented JSON


def shown(value: Any) -> str:
    """A recorded value as text: none as an em dash, lists joined, objects as compact JSON."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= SUMMARY_VALUE_CHARS else text[: SUMMARY_VALUE_CHARS - 1] + "…"


def entity_url(subject_type: str, subject_id: str, action: str) -> str | None:
    pattern = ACTION_PAGES.get(action.partition(".")[0]) or ENTITY_PAGES.get(subject_type)
    if pattern is None or not subject_id.isdecimal() or not 1 <= int(subject_id) <= MAX_ID:
        return None
    return pattern.format(quote(subject_id))


def event_view(row: Any) -> EventView:
    changes: dict[str, Any] = row.changes or {}
    pairs = all(isinstance(v, dict) and set(v) <= {"before", "after"} and v for v in changes.values())
    table = [Change(k, shown(v.get("before")), shown(v.get("after"))) for k, v in sorted(changes.items())] if pairs else []
    if not changes:
        summary = "No details recorded."
    elif pairs:
        parts = [f"{c.field}: {_short(c.before)} → {_short(c.after)}" if c.before != "—" else f"{c.field}: {_short(c.after)}"
                 for c in table[:SUMMARY_FIELDS]]
        more = len(table) - SUMMARY_FIELDS
        summary = "; ".join(parts) + (f"; and {more} more field{'s' if more != 1 else ''}" if more > 0 else "")
    else:
        summary = _short(", ".join(sorted(changes)))
    label = ENTITY_LABELS.get(row.subject_type, row.subject_type.replace("_", " ").capitalize())
    return EventView(
        seq=row.seq, at=row.at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"), actor=row.actor,
        actor_type=row.actor_type, actor_id=row.actor_id, action=row.action, entity=f"{label} {row.subject_id}",
        entity_url=entity_url(row.subject_type, row.subject_id, row.action), summary=summary, changes=table,
        raw=None if pairs or not changes else json.dumps(changes, ensure_ascii=False, indent=2, sort_keys=True),
    )


@dataclass
class Filters:
    subject_type: str = ""
    subject_id: str = ""
    actor: str = ""
    action: str = ""
    since: str = ""
    until: str = ""

    def query(self, **extra: str) -> str:
        return urlencode({k: v for k, v in (vars(self) | extra).items() if v})


def _day(value: str, name: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        return _days.validate_python(value)
    except ValidationError as exc:
        errors[name] = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
        return None


def _clean(filters: Filters, errors: dict[str, str]) -> None:
    """Refuses a filter no stored value can hold (a NUL, which PostgreSQL would refuse with an error, or
    another control character): the field says so, and nothing is queried."""
    for name, value in vars(filters).items():
        try:
            clean_text(value)
        except ValueError as exc:
            errors[name] = f"The filter {exc}."


def _actor_id(session: Any, actor: str, errors: dict[str, str]) -> int | None:
    """The filter's actor as a user id: typed as an id, or found by e-mail address."""
    if not actor:
        return None
    if actor.isdecimal():
        if 1 <= int(actor) <= MAX_ID:
            return int(actor)
        errors["actor"] = f"'{actor}' is not a user id."
        return None
    try:
        return auth_service.get_user_by_email(session, actor).id
    except NotFound:
        errors["actor"] = f"No user has the e-mail address {actor}. System jobs (imports, the CLI) have no user."
        return None


def _verdict(session: Any, *, asked: bool) -> tuple[Any, int]:
    events = audit_service.head_seq(session)
    if asked or events <= AUTO_VERIFY_EVENTS:
        return audit_service.verify_chain(session), events
    return None, events


@router.get("/audit")
def audit_page(
    request: Request, session: SessionDep, user: Reader, csrf: FormCsrf,
    subject_type: Text = None, subject_id: Text = None, actor: Text = None, action: Text = None,
    since: Text = None, until: Text = None, cursor: Annotated[str | None, Query(max_length=2000)] = None,
    verify: Text = None,
) -> Response:
    filters = Filters(*((v or "").strip() for v in (subject_type, subject_id, actor, action, since, until)))
    errors: dict[str, str] = {}
    _clean(filters, errors)
    actor_id = _actor_id(session, filters.actor, errors) if "actor" not in errors else None
    first = _day(filters.since, "since", errors) if "since" not in errors else None
    last = _day(filters.until, "until", errors) if "until" not in errors else None
    if first and last and last < first:
        errors["until"] = "The end of the range is before its start."
    page = None
    if not errors:
        page = audit_service.list_events(
            session, subject_type=filters.subject_type or None, subject_id=filters.subject_id or None,
            actor_id=actor_id, action=filters.action or None,
            since=datetime.combine(first, time(), UTC) if first else None,
            until=datetime.combine(last + timedelta(days=1), time(), UTC) if last else None,
            sort="-seq", limit=PAGE_SIZE, cursor=cursor or None,
        )
    verdict, chain_length = _verdict(session, asked=verify == "1")
    choices = audit_service.filter_choices(session)
    return render(request, "audit/list.html", {
        "user": user, "active_section": "audit", "filters": filters, "errors": errors,
        "events": [event_view(row) for row in page.items] if page else [], "total": page.total if page else 0,
        "next": page.next if page else None, "paged": bool(cursor), "query": filters.query(),
        "filter_pairs": [(k, v) for k, v in vars(filters).items() if v], "verdict": verdict, "chain_length": chain_length,
        "subject_types": [(t, f"{ENTITY_LABELS.get(t, t)} ({t})") for t in choices.subject_types],
        "actions": [(a, a) for a in choices.actions], "filtered": any(vars(filters).values()),
    }, csrf=csrf, status_code=422 if errors else 200)


def _chunks(spool: IO[bytes]) -> Iterator[bytes]:
    try:
        spool.seek(0)
        while chunk := spool.read(_EXPORT_CHUNK):
            yield chunk
    finally:
        spool.close()


@router.get("/audit/export.jsonl")
def audit_export(session: SessionDep, user: Reader) -> Response:
    """Every event, oldest first, one JSON object a line (as `riskreg audit export`): an auditor re-checks the
    chain from the file alone. Written to a spooled temporary file within the request's transaction, then sent."""
    spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115  (closed by _chunks)
    try:
        out = io.TextIOWrapper(spool, encoding="utf-8", newline="\n")  # type: ignore[arg-type]
        result = audit_jobs.export_jsonl(session, out)
        out.flush()
        out.detach()  # leaves the spool open for the response
        size = spool.tell()
    except BaseException:
        spool.close()
        raise
    log.info("export", extra={"what": "audit-trail", "format": "jsonl", "rows": result.events, "user_id": user.id})
    name = f"audit-trail-{date.today().isoformat()}.jsonl"
    return StreamingResponse(_chunks(spool), media_type="application/jsonl", headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Content-Length": str(size),
        "Cache-Control": "private, no-store",
    })
