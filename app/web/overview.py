"""The dashboard's read model: counts and short work lists across the register, aggregated in SQL (GROUP BY,
LIMIT) so the dashboard costs the same with 10 vendors or 10,000. Reads only; no audit events, no commits."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Date, Integer, Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.assessments.models import Assessment, AssessmentStatus
from app.documents.models import Document
from app.documents.status import EVIDENCE_TYPES, Terms
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.questionnaires.models import QuestionnaireVersion
from app.reminders import schedule
from app.responses.models import Response, ResponseStatus
from app.vendors.models import Vendor

TIER_RANK = {"low": 0, "medium": 1, "high": 2, "critical": 3}
RANK_TIER = {rank: tier for tier, rank in TIER_RANK.items()}
_INACTIVE = (IntegrationStatus.retired.value, IntegrationStatus.rejected.value)
_UNDECIDED = (IntegrationStatus.requested.value, IntegrationStatus.in_review.value)


@dataclass(frozen=True)
class IntegrationTotals:
    """How many integrations there are of each (status, kind, inherent rank): every count the dashboard shows
    about integrations, from one GROUP BY that reads the index (status, kind, inherent_rank) alone."""

    rows: tuple[tuple[str, str, int, int], ...]

    def by_status(self) -> dict[str, int]:
        counts = {status.value: 0 for status in IntegrationStatus}
        for status, _kind, _rank, count in self.rows:
            counts[status] = counts.get(status, 0) + count
        return counts

    def by_tier_and_status(self) -> dict[tuple[str, str], int]:
        counts: dict[tuple[str, str], int] = {}
        for status, _kind, rank, count in self.rows:
            key = (RANK_TIER[rank], status)
            counts[key] = counts.get(key, 0) + count
        return counts

    def undecided_requests(self) -> int:
        """Add-on requests waiting for security's decision (requested or in review)."""
        return sum(count for status, kind, _rank, count in self.rows
                   if kind == IntegrationKind.heroku_addon.value and status in _UNDECIDED)


def integration_totals(session: Session) -> IntegrationTotals:
    rows = session.execute(
        select(Integration.status, Integration.kind, Integration.inherent_rank, func.count())
        .group_by(Integration.status, Integration.kind, Integration.inherent_rank)
    )
    return IntegrationTotals(tuple((status, kind, rank, count) for status, kind, rank, count in rows))


@cache
def _assessed_cells() -> Select[Any]:
    """Assessed integrations by (inherent tier, status): how many, and the worst residual rank of their newest
    assessments (built once)."""
    newest = (select(Assessment.integration_id, func.max(Assessment.id).label("assessment_id"))
              .group_by(Assessment.integration_id).subquery())
    residual = func.coalesce(case(TIER_RANK, value=Assessment.residual_tier), Integration.inherent_rank)
    return (select(Integration.inherent_tier, Integration.status, func.count(), func.max(residual))
            .select_from(newest)
            .join(Assessment, Assessment.id == newest.c.assessment_id)
            .join(Integration, Integration.id == newest.c.integration_id)
            .group_by(Integration.inherent_tier, Integration.status))


def residual_by_tier_and_status(session: Session, totals: IntegrationTotals) -> list[tuple[str, str, int, int]]:
    """(inherent tier, status, integrations, worst residual rank 0–3) for each pair that has integrations.

    An integration's residual risk is the one its newest assessment computed; without an assessment it is its
    inherent tier (no assurance yet lowers nothing, DOMAIN.md). The assessed integrations are reached from the
    assessments rather than by joining every integration to them."""
    assessed = {(tier, status): (count, worst) for tier, status, count, worst in session.execute(_assessed_cells())}
    rows = []
    for (tier, status), count in totals.by_tier_and_status().items():
        done, worst = assessed.get((tier, status), (0, None))
        # Any integration not yet assessed keeps its inherent tier as its residual risk.
        candidates = ([int(worst)] if done and worst is not None else []) + ([TIER_RANK[tier]] if count > done else [])
        rows.append((tier, status, count, max(candidates) if candidates else TIER_RANK[tier]))
    return rows


def assessment_counts(session: Session) -> dict[str, int]:
    counts = {status.value: 0 for status in AssessmentStatus}
    for status, count in session.execute(select(Assessment.status, func.count()).group_by(Assessment.status)):
        counts[status] = count
    return counts


@dataclass(frozen=True)
class AssessmentItem:
    id: int
    integration_id: int
    integration_name: str
    vendor_name: str
    residual_tier: str
    decision: str | None
    created_at: datetime


def assessments_in(session: Session, status: AssessmentStatus, *, limit: int = 5) -> list[AssessmentItem]:
    """The oldest assessments in `status` first (they have waited longest)."""
    rows = session.execute(
        select(Assessment.id, Assessment.integration_id, Integration.name, Vendor.name, Assessment.residual_tier,
               Assessment.decision, Assessment.created_at)
        .join(Integration, Integration.id == Assessment.integration_id).join(Vendor, Vendor.id == Integration.vendor_id)
        .where(Assessment.status == status.value).order_by(Assessment.id).limit(limit)
    )
    return [AssessmentItem(*row) for row in rows]


@dataclass(frozen=True)
class RequestItem:
    id: int
    name: str
    status: str
    heroku_app: str | None
    addon_plan: str | None
    created_at: datetime


def requests_of(session: Session, user_id: int, *, limit: int = 5) -> tuple[list[RequestItem], int]:
    """The add-on requests `user_id` made, newest first, and how many there are in all."""
    where = (Integration.requested_by_id == user_id, Integration.kind == IntegrationKind.heroku_addon.value)
    total = session.execute(select(func.count()).select_from(Integration).where(*where)).scalar_one()
    rows = session.execute(
        select(Integration.id, Integration.name, Integration.status, Integration.heroku_app, Integration.addon_plan,
               Integration.created_at).where(*where).order_by(Integration.id.desc()).limit(limit)  # type: ignore[union-attr]
    )
    return [RequestItem(*row) for row in rows], total


@dataclass(frozen=True)
class ResponseItem:
    id: int
    integration_id: int
    integration_name: str
    vendor_name: str
    questionnaire: str
    updated_at: datetime


def draft_responses(session: Session, *, limit: int = 5) -> tuple[list[ResponseItem], int]:
    """Questionnaire responses still in draft (waiting for answers or for someone to submit them), the ones
    untouched longest first, and how many there are in all."""
    draft = Response.status == ResponseStatus.draft.value
    total = session.execute(select(func.count()).select_from(Response).where(draft)).scalar_one()
    rows = session.execute(
        select(Response.id, Response.integration_id, Integration.name, Vendor.name, QuestionnaireVersion.title,
               Response.updated_at)
        .join(Integration, Integration.id == Response.integration_id).join(Vendor, Vendor.id == Integration.vendor_id)
        .join(QuestionnaireVersion, QuestionnaireVersion.id == Response.questionnaire_version_id)
        .where(draft).order_by(Response.updated_at, Response.id).limit(limit)
    )
    return [ResponseItem(*row) for row in rows], total


def undecided_integrations(session: Session, *, limit: int) -> list[Integration]:
    """The newest undecided add-on requests (requested or in review), newest first."""
    return list(session.scalars(
        select(Integration).where(Integration.kind == IntegrationKind.heroku_addon.value,
                                  Integration.status.in_(_UNDECIDED))  # type: ignore[attr-defined]
        .order_by(Integration.id.desc()).limit(limit)  # type: ignore[union-attr]
    ))


# --- renewals: what falls due, counted and picked in SQL ----------------------------------------------------
# The facts are app.reminders.service's (assessment_facts, document_facts) and the items app.reminders.schedule's,
# so dates, titles and links are the reminders' own. What differs is how many are read: a register of 10,000
# vendors has a couple of thousand things due in 90 days, and the dashboard shows a few of each period. Where
# the due date is a column (an assessment's valid_until, a fixed-term document's expires_on) the database counts
# them by period and returns only the soonest of each; documents whose due date rolls (auto-renewing contracts'
# notice deadlines) or is derived (evidence without an expiry) go through the schedule one by one.


@dataclass(frozen=True)
class DueSoon:
    items: list[schedule.DueItem]  # the soonest `per_period` items of each period, soonest first
    counts: list[int]  # how many items fall in each period


def _period(column: Any, periods: int) -> Any:
    """The index of the first period whose last day (bind parameter `last_<n>`) is on or after `column`."""
    return case(*[(column <= bindparam(f"last_{n}", type_=Date), n) for n in range(periods)], else_=periods)


def _ranked(stmt: Select[Any], due: Any, key: Any, periods: int) -> Select[Any]:
    """`stmt`'s soonest rows of each period (at most the bind parameter `per_period`), each with its period and
    how many rows the period holds (a window over the same rows: one query)."""
    period = _period(due, periods)
    ranked = stmt.add_columns(
        period.label("period"), func.count().over(partition_by=period).label("period_count"),
        func.row_number().over(partition_by=period, order_by=(due, key)).label("pick_order"),
    ).subquery()
    return select(ranked).where(ranked.c.pick_order <= bindparam("per_period", type_=Integer))


def _document_rows() -> Select[Any]:
    """reminder_service.document_facts' rows (documents of vendors not offboarded), the current versions only: a
    version with a newer one on file gives no reminder."""
    newer = aliased(Document)
    return (
        select(Document.id, Document.type, Document.title, Document.signed_on, Document.effective_on,
               Document.expires_on, Document.auto_renews, Document.renewal_months, Document.notice_days,
               Document.uploaded_by_id, Vendor.name.label("vendor_name"))
        .join(Vendor, Vendor.id == Document.vendor_id)
        .outerjoin(newer, newer.supersedes_id == Document.id)
        .where(Vendor.status != "offboarded", newer.id.is_(None))  # type: ignore[union-attr]
    )


@cache
def _statements(periods: int) -> tuple[Select[Any], Select[Any], Select[Any]]:
    """The three queries, built once (building is most of their cost); dates are bind parameters: `until`, the
    last day of each period, `evidence_until` (a year before `until`) and `per_period`."""
    until = bindparam("until", type_=Date)
    # reminder_service.assessment_facts' rows: the newest signed assessment of each integration in use, not a
    # rejection, of a vendor not offboarded.
    newer = aliased(Assessment)
    newer_signed = select(newer.id).where(newer.integration_id == Assessment.integration_id,
                                          newer.id > Assessment.id,  # type: ignore[operator]
                                          newer.status == AssessmentStatus.signed.value).exists()
    assessments = (
        select(Assessment.id, Assessment.integration_id, Assessment.valid_until, Assessment.reviewer_id,
               Assessment.created_by_id, Integration.name.label("integration_name"), Vendor.name.label("vendor_name"))
        .join(Integration, Integration.id == Assessment.integration_id)
        .join(Vendor, Vendor.id == Integration.vendor_id)
        .where(Assessment.status == AssessmentStatus.signed.value, Assessment.valid_until <= until,  # type: ignore[operator]
               ~newer_signed, or_(Assessment.decision.is_(None), Assessment.decision != "reject"),  # type: ignore[union-attr]
               Integration.status.not_in(_INACTIVE), Vendor.status != "offboarded")  # type: ignore[attr-defined]
    )
    fixed = _document_rows().where(Document.auto_renews.is_(False), Document.expires_on <= until)  # type: ignore[attr-defined, operator]
    rolling = _document_rows().where(or_(
        Document.auto_renews.is_(True),  # type: ignore[attr-defined]
        and_(Document.expires_on.is_(None), Document.type.in_(sorted(EVIDENCE_TYPES)),  # type: ignore[union-attr, attr-defined]
             func.coalesce(Document.effective_on, Document.signed_on) <= bindparam("evidence_until", type_=Date)),
    ))
    return (_ranked(assessments, Assessment.valid_until, Assessment.id, periods),
            _ranked(fixed, Document.expires_on, Document.id, periods), rolling)


def _assessment_fact(row: Any) -> schedule.AssessmentFact:
    return schedule.AssessmentFact(id=row.id, integration_id=row.integration_id, integration_name=row.integration_name,
                                   vendor_name=row.vendor_name, valid_until=row.valid_until,
                                   reviewer_id=row.reviewer_id or row.created_by_id)


def _document_fact(row: Any) -> schedule.DocumentFact:
    return schedule.DocumentFact(
        id=row.id, vendor_name=row.vendor_name, title=row.title, uploaded_by_id=row.uploaded_by_id,
        terms=Terms(type=row.type, signed_on=row.signed_on, effective_on=row.effective_on, expires_on=row.expires_on,
                    auto_renews=row.auto_renews, renewal_months=row.renewal_months, notice_days=row.notice_days),
    )


def renewals_due(
    session: Session, *, today: date, bounds: Sequence[int], per_period: int, rules: schedule.Rules,
    certificate: schedule.CertificateFact | None = None,
) -> DueSoon:
    """Assessment validity ends, document expiries, stale evidence and notice deadlines (and the signing
    certificate's expiry, when given), in periods: an item `days` from today (negative: overdue) is in the first
    period whose bound is >= days; items past the last bound are left out. reminder_service.upcoming's items of
    those kinds, counted per period, the soonest `per_period` of each kept. (`rules` are the reminders'; the
    kinds shown here have no rule that moves their due date, so they only document where the items come from.)"""
    until = today + timedelta(days=bounds[-1])
    params: dict[str, Any] = {"until": until, "per_period": per_period,
                              # add_months(start, 12) is at least 365 days on: a superset of the evidence due.
                              "evidence_until": until - timedelta(days=365),
                              **{f"last_{n}": today + timedelta(days=bound) for n, bound in enumerate(bounds)}}
    ranked_assessments, ranked_documents, rolling = _statements(len(bounds))
    counts = [0] * len(bounds)
    candidates: list[schedule.DueItem] = []
    # Due dates in a column: counted and picked by the database.
    for statement, item_of in ((ranked_assessments, lambda r: schedule.assessment_item(_assessment_fact(r))),
                               (ranked_documents, lambda r: schedule.document_item(_document_fact(r), today=today))):
        seen: dict[int, int] = {}
        for row in session.execute(statement, params):
            seen[row.period] = row.period_count
            item = item_of(row)
            if item is not None:
                candidates.append(item)
        for period, count in seen.items():
            counts[period] += count

    def place(item: schedule.DueItem | None) -> None:
        if item is not None and item.due_on <= until:
            counts[_period_index(item, today, bounds)] += 1
            candidates.append(item)

    # Due dates the schedule works out: auto-renewing contracts' notice deadlines, evidence without an expiry.
    for row in session.execute(rolling, params):
        place(schedule.document_item(_document_fact(row), today=today))
    if certificate is not None:
        place(schedule.certificate_item(certificate))
    shown: list[schedule.DueItem] = []
    taken = [0] * len(bounds)
    for item in sorted(candidates, key=lambda i: (i.due_on, i.key)):
        period = _period_index(item, today, bounds)
        if taken[period] < per_period:
            taken[period] += 1
            shown.append(item)
    return DueSoon(items=shown, counts=counts)


def _period_index(item: schedule.DueItem, today: date, bounds: Sequence[int]) -> int:
    days = (item.due_on - today).days
    return next(n for n, bound in enumerate(bounds) if days <= bound)
