"""What falls due and when to announce it: due items derived from the register's facts, and the lead-time slot
each one is in on a given day. Pure: facts and `today` in, frozen values out; no I/O, no clock, no settings.

A slot is the most recent lead time that has opened: a reminder due in 45 days is in its 60-day slot, one due
in 20 days in its 30-day slot. A run that was missed or late announces the current slot only, never the stale
ones it skipped. Overdue items repeat every `overdue_every_days` (slots -7, -14, ...) when their kind repeats.
"""

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from urllib.parse import urlencode

from app.documents.status import EVIDENCE_TYPES, Terms, standing, term_end


class Kind(StrEnum):
    assessment_expires = "assessment_expires"
    document_expires = "document_expires"
    evidence_stale = "evidence_stale"
    notice_deadline = "notice_deadline"
    request_waiting = "request_waiting"
    certificate_expires = "certificate_expires"
    shadow_addon = "shadow_addon"  # estate alert: announced once
    drift = "drift"  # estate alert: announced once per state


# Who acts on each kind (the item's owner, when it has one, is told as well).
ROLE = {
    Kind.assessment_expires: "security",
    Kind.document_expires: "procurement",
    Kind.evidence_stale: "procurement",
    Kind.notice_deadline: "legal",
    Kind.request_waiting: "security",
    Kind.certificate_expires: "admin",
    Kind.shadow_addon: "security",
    Kind.drift: "security",
}
ALERTS = frozenset({Kind.shadow_addon, Kind.drift})
# Overdue items that keep being announced. A notice deadline never is overdue (once it passes, the contract
# has renewed and the next deadline is a year on); alerts are told once; everything else nags weekly.
REPEATS_OVERDUE = frozenset(
    {Kind.assessment_expires, Kind.document_expires, Kind.evidence_stale, Kind.request_waiting, Kind.certificate_expires}
)
# Roles that see every item in their calendar feed and `mine` lists (they oversee the whole register).
SEES_EVERYTHING = frozenset({"admin", "auditor"})
DEFAULT_LEAD_DAYS = (60, 30, 7, 0)


@dataclass(frozen=True)
class Rules:
    lead_days: tuple[int, ...] = DEFAULT_LEAD_DAYS  # days before the due date, each >= 0
    overdue_every_days: int = 7
    request_wait_days: int = 7

    def leads_for(self, kind: Kind) -> tuple[int, ...]:
        """A waiting request or an alert has no run-up: it is announced on its day."""
        return (0,) if kind in ALERTS or kind == Kind.request_waiting else self.lead_days


# --- facts: what the service reads from the register ---------------------------------------------


@dataclass(frozen=True)
class AssessmentFact:
    """The newest signed assessment of an integration in use, with the day it stops being valid."""

    id: int
    integration_id: int
    integration_name: str
    vendor_name: str
    valid_until: date
    reviewer_id: int | None


@dataclass(frozen=True)
class DocumentFact:
    """A document with no newer version on file (a renewal on file, even one not yet in force, silences it)."""

    id: int
    vendor_name: str
    title: str
    terms: Terms
    uploaded_by_id: int | None


@dataclass(frozen=True)
class RequestFact:
    """An add-on request not yet decided."""

    integration_id: int
    name: str
    vendor_name: str
    requested_on: date
    requested_by_id: int | None


@dataclass(frozen=True)
class CertificateFact:
    """The certificate that signs assessment records."""

    subject: str
    expires_at: datetime  # UTC


@dataclass(frozen=True)
class ShadowFact:
    """An installed add-on with no approved integration behind it."""

    installation_id: int
    name: str
    app: str
    plan: str | None
    first_seen_on: date


@dataclass(frozen=True)
class DriftFact:
    """An approved add-on that moved away from its approval (kinds as app.heroku.service.drift names them).

    `state` names what it drifted to (the installed plan, the apps, the day it went), so a further change is a
    new alert and the same drift seen again is not; `seen_on` is a stable day that belongs to that state."""

    kind: str
    integration_id: int
    integration_name: str
    state: str
    detail: str
    seen_on: date


@dataclass(frozen=True)
class Register:
    """Everything reminders are derived from; any iterable (a generator keeps memory flat)."""

    assessments: Iterable[AssessmentFact] = ()
    documents: Iterable[DocumentFact] = ()
    requests: Iterable[RequestFact] = ()
    certificate: CertificateFact | None = None
    shadows: Iterable[ShadowFact] = ()
    drifts: Iterable[DriftFact] = ()


# --- due items -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueItem:
    key: str  # stable: the same fact gives the same key on any day, e.g. document:12:expires:2027-01-31
    kind: Kind
    due_on: date
    title: str
    detail: str
    link: str | None  # a page's path in the app (not an API path); channels make it absolute
    owner_id: int | None
    role: str

    @property
    def alert(self) -> bool:
        return self.kind in ALERTS


def _item(key: str, kind: Kind, due_on: date, title: str, detail: str, link: str | None, owner_id: int | None) -> DueItem:
    return DueItem(key=key, kind=kind, due_on=due_on, title=title, detail=detail, link=link, owner_id=owner_id,
                   role=ROLE[kind])


def assessment_item(fact: AssessmentFact) -> DueItem:
    return _item(
        f"assessment:{fact.id}:valid_until:{fact.valid_until.isoformat()}", Kind.assessment_expires, fact.valid_until,
        f"Assessment of {fact.integration_name} ({fact.vendor_name}) expires",
        "Take a new assessment of the integration before its signed record lapses.",
        f"/assessments/{fact.id}", fact.reviewer_id,
    )


def document_item(fact: DocumentFact, *, today: date) -> DueItem | None:
    """An auto-renewing contract: its next notice deadline (legal decides whether to let it renew). Otherwise
    the end of its term: the stated expiry, or for an evidence report without one, a year after its date."""
    terms = fact.terms
    if terms.superseded:
        return None
    if terms.auto_renews:
        deadline = standing(terms, today=today, expiring_days=0).notice_deadline_on
        if deadline is None:  # not in force yet: its deadlines start once it is
            return None
        notice = terms.notice_days or 0
        return _item(
            f"document:{fact.id}:notice:{deadline.isoformat()}", Kind.notice_deadline, deadline,
            f"Last day to give notice on {fact.title} ({fact.vendor_name})",
            f"It renews automatically unless notice is given {notice} day{'' if notice == 1 else 's'} before the term ends.",
            f"/documents/{fact.id}", fact.uploaded_by_id,
        )
    ends = term_end(terms)
    if ends is None:
        return None
    if terms.type in EVIDENCE_TYPES:
        return _item(
            f"document:{fact.id}:expires:{ends.isoformat()}", Kind.evidence_stale, ends,
            f"{fact.title} ({fact.vendor_name}) goes out of date",
            "Ask the vendor for the current report or certificate and upload it as a new version.",
            f"/documents/{fact.id}", fact.uploaded_by_id,
        )
    return _item(
        f"document:{fact.id}:expires:{ends.isoformat()}", Kind.document_expires, ends,
        f"{fact.title} ({fact.vendor_name}) expires",
        "Renew the agreement and upload the new version, or offboard the vendor.",
        f"/documents/{fact.id}", fact.uploaded_by_id,
    )


def request_item(fact: RequestFact, *, rules: Rules) -> DueItem:
    due = fact.requested_on + timedelta(days=rules.request_wait_days)
    return _item(
        f"addon_request:{fact.integration_id}:waiting:{due.isoformat()}", Kind.request_waiting, due,
        f"Add-on request {fact.name} ({fact.vendor_name}) is waiting for a decision",
        f"Requested on {fact.requested_on.isoformat()}; decide it or ask the requester for what is missing.",
        f"/addon-requests/{fact.integration_id}", fact.requested_by_id,
    )


def certificate_item(fact: CertificateFact) -> DueItem:
    due = fact.expires_at.date()
    return _item(
        f"certificate:signing:expires:{due.isoformat()}", Kind.certificate_expires, due,
        "The certificate that signs assessment records expires",
        f"{fact.subject}: records cannot be signed once it has expired. Renew it and point RISKREG_SIGNING_P12 at "
        "the new key (`riskreg signing show` shows the current one).",
        "/account#due", None,
    )


def shadow_item(fact: ShadowFact) -> DueItem:
    plan = f" ({fact.plan})" if fact.plan else ""
    return _item(
        f"shadow:{fact.installation_id}:{fact.first_seen_on.isoformat()}", Kind.shadow_addon, fact.first_seen_on,
        f"Shadow add-on {fact.name} on {fact.app}{plan}",
        f"Installed with no approved request behind it (first seen {fact.first_seen_on.isoformat()}): request "
        "approval for it, or remove it.",
        "/heroku?" + urlencode({"status": "shadow", "app": fact.app}), None,
    )


def drift_item(fact: DriftFact) -> DueItem:
    state = fact.state if len(fact.state) <= 60 else hashlib.sha256(fact.state.encode()).hexdigest()[:16]
    return _item(
        f"drift:{fact.kind}:{fact.integration_id}:{state}", Kind.drift, fact.seen_on,
        f"{fact.integration_name}: {fact.kind.replace('_', ' ')}", fact.detail, "/heroku", None,
    )


def due_items(register: Register, *, today: date, rules: Rules) -> Iterator[DueItem]:
    """Every item the register's facts give on `today`, whatever its slot (a generator: one at a time)."""
    for assessment in register.assessments:
        yield assessment_item(assessment)
    for document in register.documents:
        item = document_item(document, today=today)
        if item is not None:
            yield item
    for request in register.requests:
        yield request_item(request, rules=rules)
    if register.certificate is not None:
        yield certificate_item(register.certificate)
    for shadow in register.shadows:
        yield shadow_item(shadow)
    for drift in register.drifts:
        yield drift_item(drift)


# --- slots -----------------------------------------------------------------------------------------


def slot(due_on: date, *, today: date, leads: Sequence[int], overdue_every_days: int | None) -> int | None:
    """The lead time whose announcement is current on `today`: the smallest lead L with today >= due_on - L;
    None before the largest lead opens. Overdue by at least `overdue_every_days` (when given), the slot is
    minus the whole multiple of it (-7 for 7-13 days late, -14 for 14-20, ...); otherwise it stays 0 or the
    smallest lead. Leads are days, >= 0, in any order."""
    days_left = (due_on - today).days
    opened = [lead for lead in leads if days_left <= lead]
    if not opened:
        return None
    if overdue_every_days and days_left < 0:
        late = -days_left
        if late >= overdue_every_days:
            return -(late // overdue_every_days) * overdue_every_days
    return min(opened)


@dataclass(frozen=True)
class Announcement:
    item: DueItem
    lead_days: int  # the slot: 60, 30, 7, 0, or -7, -14, ... when overdue


def announcements(items: Iterable[DueItem], *, today: date, rules: Rules) -> Iterator[Announcement]:
    """The items whose announcement is current on `today`, each with its slot (a generator)."""
    leads = {kind: rules.leads_for(kind) for kind in Kind}
    every = rules.overdue_every_days
    for item in items:
        lead = slot(item.due_on, today=today, leads=leads[item.kind],
                    overdue_every_days=every if item.kind in REPEATS_OVERDUE else None)
        if lead is not None:
            yield Announcement(item, lead)


def plan(register: Register, *, today: date, rules: Rules) -> Iterator[Announcement]:
    return announcements(due_items(register, today=today, rules=rules), today=today, rules=rules)


# --- who is told -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    name: str
    role: str


@dataclass(frozen=True)
class Directory:
    """Active users, by id and by role."""

    by_id: Mapping[int, Person]
    by_role: Mapping[str, tuple[Person, ...]]

    @classmethod
    def of(cls, people: Iterable[Person]) -> "Directory":
        by_id = {p.id: p for p in people}
        by_role: dict[str, list[Person]] = {}
        for person in sorted(by_id.values(), key=lambda p: p.id):
            by_role.setdefault(person.role, []).append(person)
        return cls(by_id, {role: tuple(group) for role, group in by_role.items()})


def addressees(item: DueItem, directory: Directory) -> tuple[Person, ...]:
    """The item's owner (when still an active user) and everyone holding the role that acts on it; when that
    is nobody, the admins, so that no reminder silently reaches no one."""
    people: dict[int, Person] = {}
    if item.owner_id is not None and item.owner_id in directory.by_id:
        people[item.owner_id] = directory.by_id[item.owner_id]
    for person in directory.by_role.get(item.role, ()):
        people.setdefault(person.id, person)
    if not people:
        for person in directory.by_role.get("admin", ()):
            people.setdefault(person.id, person)
    return tuple(people.values())


def visible_to(item: DueItem, *, user_id: int, role: str) -> bool:
    """An item is someone's when they own it or hold the role that acts on it; admins and auditors see all."""
    return role in SEES_EVERYTHING or item.role == role or item.owner_id == user_id


def when(item: DueItem, *, today: date) -> str:
    """`in 30 days`, `tomorrow`, `today`, `1 day overdue`, `14 days overdue`; for an alert, `found <day>`."""
    if item.alert:
        return f"found {item.due_on.isoformat()}"
    days = (item.due_on - today).days
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days > 1:
        return f"in {days} days"
    return f"{-days} day{'' if days == -1 else 's'} overdue"
