"""The dashboard's renewal timeline: reminder due items grouped by how soon they fall due, each linked to its
page. Pure: due items and `today` in, frozen groups out."""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.reminders.schedule import DueItem, Kind, when

# Periods of the timeline: (heading, last day offset from today, inclusive); overdue items come first.
PERIODS = (("Overdue", -1), ("This week", 7), ("Within 30 days", 30), ("Within 90 days", 90))
KIND_LABELS = {
    Kind.assessment_expires: "Assessment", Kind.document_expires: "Agreement", Kind.evidence_stale: "Evidence",
    Kind.notice_deadline: "Notice deadline", Kind.request_waiting: "Add-on request",
    Kind.certificate_expires: "Signing certificate", Kind.shadow_addon: "Shadow add-on", Kind.drift: "Drift",
}
# Reminder links written before the pages existed pointed at the API; the timeline links to the page.
_API_TO_PAGE = re.compile(r"^/api/v1/(assessments|documents|addon-requests)/(\d+)$")


def page_link(link: str | None) -> str | None:
    """The page for a reminder's link: `/api/v1/documents/12` → `/documents/12`; a page path unchanged; any
    other API path (no page shows it) → None."""
    if link is None:
        return None
    match = _API_TO_PAGE.match(link)
    if match:
        return f"/{match.group(1)}/{match.group(2)}"
    if link.startswith("/api/"):
        return None
    return link


@dataclass(frozen=True)
class Entry:
    due_on: date
    when: str  # "in 12 days", "today", "3 days overdue"
    kind: str  # a label: Assessment, Agreement, ...
    title: str
    detail: str
    link: str | None
    role: str
    overdue: bool


@dataclass(frozen=True)
class Period:
    heading: str
    entries: tuple[Entry, ...]  # the soonest of the period
    count: int  # how many fall in the period, shown or not

    @property
    def more(self) -> int:
        return self.count - len(self.entries)


BOUNDS = tuple(last for _, last in PERIODS)


def period_of(days: int) -> int | None:
    """The index of the period an item `days` from today falls in (negative: overdue); None past the last."""
    return next((index for index, last in enumerate(BOUNDS) if days <= last), None)


def timeline(items: Iterable[DueItem], *, today: date, counts: Sequence[int] | None = None) -> list[Period]:
    """The items in their periods, soonest first, empty periods left out. `counts` (one per period) says how
    many items each period holds in all, when only some of them are given; by default, those given."""
    groups: list[list[Entry]] = [[] for _ in PERIODS]
    for item in sorted(items, key=lambda i: (i.due_on, i.key)):
        days = (item.due_on - today).days
        index = period_of(days)
        if index is None:
            continue
        groups[index].append(Entry(
            due_on=item.due_on, when=when(item, today=today), kind=KIND_LABELS.get(item.kind, str(item.kind)),
            title=item.title, detail=item.detail, link=page_link(item.link), role=item.role, overdue=days < 0,
        ))
    totals = list(counts) if counts is not None else [len(g) for g in groups]
    return [Period(heading, tuple(entries), max(total, len(entries)))
            for (heading, _), entries, total in zip(PERIODS, groups, totals, strict=True) if entries or total]
