"""Where a document stands on a given day: in force, expiring, expired, superseded or not yet effective.

Pure: computed from the document's dates and `today`, never stored, so it is right on any day it is read.
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class DocumentStatus(StrEnum):
    pending = "pending"  # signed, but its effective date is still ahead
    in_force = "in_force"
    expiring = "expiring"  # in force, but it lapses (or must be cancelled) within the window
    expired = "expired"
    superseded = "superseded"


IN_FORCE = frozenset({DocumentStatus.in_force, DocumentStatus.expiring})
# Reports and certificates without an explicit expiry are taken as current for a year from their date.
EVIDENCE_TYPES = frozenset({"soc2_type2", "iso27001", "pci_aoc", "pen_test"})
EVIDENCE_VALID_MONTHS = 12
DEFAULT_RENEWAL_MONTHS = 12


@dataclass(frozen=True)
class Terms:
    type: str
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    auto_renews: bool = False
    renewal_months: int | None = None
    notice_days: int | None = None
    superseded: bool = False


@dataclass(frozen=True)
class Standing:
    status: DocumentStatus
    ends_on: date | None  # the last day of the current term (None: open-ended)
    notice_deadline_on: date | None  # auto-renewing: the last day to give notice before the next renewal
    days_left: int | None  # until ends_on, or until the notice deadline for an auto-renewing contract


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _terms_until(first_end: date, months: int, day: date) -> int:
    """The fewest whole renewal terms after `first_end` whose end is on or after `day` (0 if it already is)."""
    if first_end >= day:
        return 0
    elapsed = (day.year - first_end.year) * 12 + day.month - first_end.month
    step = max(elapsed // months - 1, 0)
    while add_months(first_end, months * step) < day:  # at most two turns: the estimate is one term short
        step += 1
    return step


def term_end(terms: Terms) -> date | None:
    """The stated expiry, or for a report or certificate without one, a year after its date."""
    if terms.expires_on is not None:
        return terms.expires_on
    if terms.type in EVIDENCE_TYPES:
        start = terms.effective_on or terms.signed_on
        return add_months(start, EVIDENCE_VALID_MONTHS) if start else None
    return None


def standing(terms: Terms, *, today: date, expiring_days: int) -> Standing:
    """The status on `today`. A document is in force from its effective date through its expiry date,
    inclusive; `expiring` when that end is at most `expiring_days` away. An auto-renewing contract never
    lapses on its own: each term rolls forward by `renewal_months` (default 12), and it is `expiring` when
    the notice deadline (term end − notice_days) of the next renewal is within the window."""
    ends = term_end(terms)
    if terms.superseded:
        return Standing(DocumentStatus.superseded, ends, None, None)
    if terms.effective_on is not None and terms.effective_on > today:
        return Standing(DocumentStatus.pending, ends, None, None)
    if ends is None:
        return Standing(DocumentStatus.in_force, None, None, None)
    if terms.auto_renews:
        months = terms.renewal_months or DEFAULT_RENEWAL_MONTHS
        notice = timedelta(days=terms.notice_days or 0)
        current_end = add_months(ends, months * _terms_until(ends, months, today))
        deadline_term = _terms_until(ends, months, today + notice)
        deadline = add_months(ends, months * deadline_term) - notice
        left = (deadline - today).days
        status = DocumentStatus.expiring if left <= expiring_days else DocumentStatus.in_force
        return Standing(status, current_end, deadline, left)
    left = (ends - today).days
    if left < 0:
        return Standing(DocumentStatus.expired, ends, None, left)
    status = DocumentStatus.expiring if left <= expiring_days else DocumentStatus.in_force
    return Standing(status, ends, None, left)
