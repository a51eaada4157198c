"""Reminder use cases: read the register's facts for the schedule, the deliveries' bookkeeping (claim, renew,
sent, failed), and the calendar feed secrets."""

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased
from sqlmodel import Session

from app.assessments.models import Assessment, AssessmentStatus
from app.audit import service as audit
from app.audit.service import Actor
from app.auth.models import User
from app.auth.permissions import Permission, allowed
from app.core.config import Settings
from app.core.db import utcnow
from app.core.errors import DomainError, NotFound
from app.core.security import new_token, token_hash
from app.documents.models import Document
from app.documents.status import Terms
from app.heroku import service as heroku_service
from app.heroku.models import AddonInstallation
from app.integrations.models import Integration, IntegrationKind, IntegrationStatus
from app.reminders import schedule
from app.reminders.models import CalendarFeedToken, DeliveryStatus, ReminderDelivery
from app.vendors.models import Vendor

log = logging.getLogger("riskreg.reminders")

FEED_TOKEN_PREFIX = "rrcal_"
_CHUNK = 500
# Drift an alert is raised for: what an import or sync finds. An approval not yet installed is not news.
DRIFT_ALERTS = frozenset({"plan_changed", "app_changed", "gone", "gate_failed"})
_INACTIVE_INTEGRATION = (IntegrationStatus.retired.value, IntegrationStatus.rejected.value)
_UNDECIDED = (IntegrationStatus.requested.value, IntegrationStatus.in_review.value)


class CalendarFeedNotFound(NotFound):
    pass


def rules_from(settings: Settings) -> schedule.Rules:
    return schedule.Rules(
        lead_days=tuple(settings.reminder_lead_days), overdue_every_days=settings.reminder_overdue_every_days,
        request_wait_days=settings.reminder_request_wait_days,
    )


# --- facts ---------------------------------------------------------------------------------------


def assessment_facts(session: Session) -> list[schedule.AssessmentFact]:
    """The newest signed assessment of each integration still in use (retired or rejected ones need no
    renewal), when it has a validity end and did not decide to reject."""
    newest = (select(func.max(Assessment.id)).where(Assessment.status == AssessmentStatus.signed.value)
              .group_by(Assessment.integration_id))
    rows = session.execute(
        select(Assessment.id, Assessment.integration_id, Assessment.valid_until, Assessment.reviewer_id,
               Assessment.created_by_id, Integration.name, Vendor.name)
        .join(Integration, Integration.id == Assessment.integration_id)
        .join(Vendor, Vendor.id == Integration.vendor_id)
        .where(Assessment.id.in_(newest), Assessment.valid_until.is_not(None),  # type: ignore[union-attr]
               or_(Assessment.decision.is_(None), Assessment.decision != "reject"),  # type: ignore[union-attr]
               Integration.status.not_in(_INACTIVE_INTEGRATION), Vendor.status != "offboarded")  # type: ignore[attr-defined]
        .order_by(Assessment.id)
    )
    return [schedule.AssessmentFact(id=a_id, integration_id=i_id, integration_name=i_name, vendor_name=v_name,
                                    valid_until=valid, reviewer_id=reviewer or creator)
            for a_id, i_id, valid, reviewer, creator, i_name, v_name in rows]


def document_facts(session: Session) -> list[schedule.DocumentFact]:
    """Documents of vendors not offboarded. One with a newer version on file is passed as superseded (no
    reminder): its renewal is already in the register, even if it takes effect later. Read as plain rows,
    not ORM objects: a register of 100,000 documents is read in a fraction of the time."""
    newer = aliased(Document)
    rows = session.execute(
        select(Document.id, Document.type, Document.title, Document.signed_on, Document.effective_on,
               Document.expires_on, Document.auto_renews, Document.renewal_months, Document.notice_days,
               Document.uploaded_by_id, Vendor.name, newer.id)
        .join(Vendor, Vendor.id == Document.vendor_id)
        .outerjoin(newer, newer.supersedes_id == Document.id)
        .where(Vendor.status != "offboarded", or_(Document.expires_on.is_not(None), Document.effective_on.is_not(None),  # type: ignore[union-attr]
                                                   Document.signed_on.is_not(None)))  # type: ignore[union-attr]
        .order_by(Document.id)  # type: ignore[arg-type]
    )
    return [
        schedule.DocumentFact(
            id=doc_id, vendor_name=vendor_name, title=title, uploaded_by_id=uploaded_by,
            terms=Terms(type=kind, signed_on=signed, effective_on=effective, expires_on=expires, auto_renews=renews,
                        renewal_months=months, notice_days=notice, superseded=successor is not None),
        )
        for (doc_id, kind, title, signed, effective, expires, renews, months, notice, uploaded_by, vendor_name,
             successor) in rows
    ]


def request_facts(session: Session) -> list[schedule.RequestFact]:
    rows = session.execute(
        select(Integration.id, Integration.name, Integration.created_at, Integration.requested_by_id, Vendor.name)
        .join(Vendor, Vendor.id == Integration.vendor_id)
        .where(Integration.kind == IntegrationKind.heroku_addon.value, Integration.status.in_(_UNDECIDED))  # type: ignore[attr-defined]
        .order_by(Integration.id)
    )
    return [schedule.RequestFact(integration_id=i, name=name, vendor_name=vendor, requested_on=created.date(),
                                 requested_by_id=by) for i, name, created, by, vendor in rows]


def shadow_facts(session: Session, *, page: int = 1000) -> list[schedule.ShadowFact]:
    """Shadow add-ons as the estate view defines them (app.heroku.service.list_addons, status=shadow)."""
    facts: list[schedule.ShadowFact] = []
    after = 0
    while True:
        rows, _total = heroku_service.list_addons(session, status="shadow", limit=page, after_id=after)
        for row in rows:
            installation = row.installation
            facts.append(schedule.ShadowFact(
                installation_id=installation.id, name=installation.name, app=row.app.name,  # type: ignore[arg-type]
                plan=row.plan.name if row.plan is not None else None, first_seen_on=installation.first_seen_at.date(),
            ))
        if len(rows) < page:
            return facts
        after = rows[-1].installation.id  # type: ignore[assignment]


def _drift_state(kind: str, installation: AddonInstallation | None, detail: str) -> tuple[str, date | None]:
    """What the add-on drifted to, and a day that belongs to that state (stable from run to run)."""
    if installation is not None:
        if kind == "gone" and installation.gone_at is not None:
            return f"{installation.id}:{installation.gone_at.date().isoformat()}", installation.gone_at.date()
        if kind == "plan_changed":
            return f"{installation.id}:plan{installation.plan_id}", installation.first_seen_at.date()
        if kind == "gate_failed" and " failed since" in detail:  # "<gate ids> failed since the approval: ..."
            return f"{installation.id}:gates:{detail.split(' failed since', 1)[0]}", installation.first_seen_at.date()
        if kind == "app_changed":
            apps = sorted({str(installation.app_id)} | {str(a.get("app")) for a in installation.attachments or ()})
            return f"{installation.id}:apps:{','.join(apps)}", installation.first_seen_at.date()
    digest = hashlib.sha256(detail.encode()).hexdigest()[:16]
    return (f"{installation.id}:{digest}" if installation is not None else digest,
            installation.first_seen_at.date() if installation is not None else None)


def drift_facts(session: Session, *, today: date) -> list[schedule.DriftFact]:
    """Drift as the estate view finds it (app.heroku.service.drift), for the kinds an import or sync reveals."""
    facts = []
    for item in heroku_service.drift(session, today=today):
        if item.kind not in DRIFT_ALERTS:
            continue
        integration = item.integration
        state, seen_on = _drift_state(item.kind, item.installation, item.detail)
        facts.append(schedule.DriftFact(
            kind=item.kind, integration_id=integration.id, integration_name=integration.name, state=state,  # type: ignore[arg-type]
            detail=item.detail, seen_on=seen_on or integration.created_at.date(),
        ))
    return facts


def configured_certificate(settings: Settings) -> schedule.CertificateFact | None:
    """`signing_certificate` of the configured key (in development, with the passphrase file beside it)."""
    from app.core.signing import configured_passphrase

    return signing_certificate(settings.signing_p12_path, configured_passphrase(settings))


def signing_certificate(p12_path: Path | None, passphrase: Any) -> schedule.CertificateFact | None:
    """The signing certificate's expiry, or None when signing is not configured (nothing to remind of). A key
    that cannot be opened is logged, not raised: reminders of everything else still go out."""
    from app.core import signing

    if p12_path is None:
        return None
    try:
        info = signing.certificate_info(p12_path, passphrase)
    except signing.SigningNotConfigured:
        return None
    except DomainError as exc:
        log.warning("signing certificate unreadable; no reminder for it", extra={"error": type(exc).__name__})
        return None
    return schedule.CertificateFact(subject=info.subject, expires_at=info.not_valid_after)


def register(session: Session, *, today: date, certificate: schedule.CertificateFact | None,
             alerts: bool = True) -> schedule.Register:
    """Every fact reminders are derived from, read in one session."""
    return schedule.Register(
        assessments=assessment_facts(session), documents=document_facts(session), requests=request_facts(session),
        certificate=certificate, shadows=shadow_facts(session) if alerts else (),
        drifts=drift_facts(session, today=today) if alerts else (),
    )


def directory(session: Session) -> schedule.Directory:
    rows = session.execute(select(User.id, User.email, User.name, User.role).where(User.disabled_at.is_(None)))  # type: ignore[union-attr]
    return schedule.Directory.of(schedule.Person(id=i, email=e, name=n, role=r) for i, e, n, r in rows)


def upcoming(
    session: Session, *, today: date, within: int, rules: schedule.Rules,
    certificate: schedule.CertificateFact | None, user: User | None = None,
) -> list[schedule.DueItem]:
    """Items due on or before `today + within` (overdue ones included), soonest first; with `user`, only
    theirs (schedule.visible_to). Estate alerts are not due dates: they are in the heroku views."""
    until = today + timedelta(days=within)
    items = schedule.due_items(register(session, today=today, certificate=certificate, alerts=False), today=today,
                               rules=rules)
    found = [i for i in items if i.due_on <= until
             and (user is None or schedule.visible_to(i, user_id=user.id, role=user.role))]  # type: ignore[arg-type]
    return sorted(found, key=lambda i: (i.due_on, i.key))


# --- deliveries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Planned:
    """A delivery a run means to make."""

    announcement: schedule.Announcement
    channel: str
    recipient: str  # user:<id> or webhook:<hash>
    person: schedule.Person | None

    @property
    def identity(self) -> tuple[str, date, int, str, str]:
        item = self.announcement.item
        return item.key, item.due_on, self.announcement.lead_days, self.channel, self.recipient


@dataclass(frozen=True)
class Existing:
    id: int
    status: str
    claimed_at: datetime


def existing(session: Session, planned: Sequence[Planned]) -> dict[tuple[str, date, int, str, str], Existing]:
    """The rows already recorded for these deliveries, read by item key in chunks."""
    keys = sorted({p.announcement.item.key for p in planned})
    found: dict[tuple[str, date, int, str, str], Existing] = {}
    t = ReminderDelivery.__table__.c  # type: ignore[attr-defined]
    for start in range(0, len(keys), _CHUNK):
        rows = session.execute(
            select(t.item_key, t.due_on, t.lead_days, t.channel, t.recipient, t.id, t.status, t.claimed_at)
            .where(t.item_key.in_(keys[start:start + _CHUNK]))
        )
        for key, due, lead, channel, recipient, row_id, status, claimed_at in rows:
            found[(key, due, lead, channel, recipient)] = Existing(row_id, status, claimed_at)
    return found


def retryable(row: Existing, *, now: datetime, lease: timedelta) -> bool:
    """Not sent, and its last claim is older than the lease (the run that held it crashed, or it failed)."""
    return row.status != DeliveryStatus.sent and row.claimed_at < now - lease


def claim(
    session: Session, new: Sequence[Planned], retry_ids: Sequence[int], *, run_id: str, now: datetime, lease: timedelta,
) -> list[ReminderDelivery]:
    """Claims deliveries for `run_id`: inserts the new ones (a row another run inserted first is left to it:
    the unique constraint decides) and takes over retryable ones only if they still are (compare and set).
    Returns every row `run_id` now holds."""
    t = ReminderDelivery.__table__  # type: ignore[attr-defined]
    if new:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = insert(t).on_conflict_do_nothing(
            index_elements=["item_key", "due_on", "lead_days", "channel", "recipient"])
        rows = [{
            "item_key": p.announcement.item.key, "due_on": p.announcement.item.due_on,
            "lead_days": p.announcement.lead_days, "channel": p.channel, "recipient": p.recipient,
            "user_id": p.person.id if p.person else None, "kind": p.announcement.item.kind.value,
            "title": p.announcement.item.title[:300], "status": DeliveryStatus.claimed.value, "attempts": 1,
            "run_id": run_id, "claimed_at": now, "created_at": now,
        } for p in new]
        for start in range(0, len(rows), _CHUNK):
            session.execute(stmt, rows[start:start + _CHUNK])
    ids = list(retry_ids)
    for start in range(0, len(ids), _CHUNK):
        session.execute(
            update(t).where(t.c.id.in_(ids[start:start + _CHUNK]), t.c.status != DeliveryStatus.sent.value,
                            t.c.claimed_at < now - lease)
            .values(run_id=run_id, status=DeliveryStatus.claimed.value, attempts=t.c.attempts + 1, claimed_at=now)
        )
    session.flush()
    return held(session, run_id=run_id)


def held(session: Session, *, run_id: str) -> list[ReminderDelivery]:
    """The deliveries `run_id` has claimed and not yet sent or failed."""
    return list(session.scalars(
        select(ReminderDelivery).where(ReminderDelivery.run_id == run_id, ReminderDelivery.status == DeliveryStatus.claimed.value)
        .order_by(ReminderDelivery.id)  # type: ignore[arg-type]
    ))


def _held(ids: Iterable[int], run_id: str) -> Any:
    t = ReminderDelivery.__table__.c  # type: ignore[attr-defined]
    return and_(t.id.in_(list(ids)), t.run_id == run_id, t.status == DeliveryStatus.claimed.value)


def renew(session: Session, ids: Sequence[int], *, run_id: str, now: datetime) -> set[int]:
    """Extends this run's claim on `ids` right before it sends them; returns those it still holds (a claim
    another run took over after the lease passed is that run's to send)."""
    t = ReminderDelivery.__table__  # type: ignore[attr-defined]
    session.execute(update(t).where(_held(ids, run_id)).values(claimed_at=now))
    return set(session.scalars(select(t.c.id).where(_held(ids, run_id))))


def mark_sent(session: Session, ids: Sequence[int], *, run_id: str, now: datetime) -> int:
    t = ReminderDelivery.__table__  # type: ignore[attr-defined]
    result = session.execute(update(t).where(_held(ids, run_id)).values(
        status=DeliveryStatus.sent.value, sent_at=now, last_error=None))
    return int(result.rowcount)  # type: ignore[attr-defined]


def mark_failed(session: Session, ids: Sequence[int], *, run_id: str, error: str) -> int:
    t = ReminderDelivery.__table__  # type: ignore[attr-defined]
    result = session.execute(update(t).where(_held(ids, run_id)).values(
        status=DeliveryStatus.failed.value, last_error=error[:500]))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- calendar feed secrets -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedFeedToken:
    token: CalendarFeedToken
    secret: str  # shown once, never stored


def issue_feed_token(session: Session, *, actor: Actor, user: User) -> IssuedFeedToken:
    """A new calendar feed secret for `user`; the previous one stops working (one feed URL per user)."""
    revoked = _revoke_active(session, user.id)  # type: ignore[arg-type]
    secret = new_token(FEED_TOKEN_PREFIX)
    token = CalendarFeedToken(user_id=user.id, token_hash=token_hash(secret), prefix=secret[:12])  # type: ignore[arg-type]
    session.add(token)
    session.flush()
    audit.record(session, actor=actor, action="calendar_token.created", subject_type="calendar_feed_token",
                 subject_id=token.id, changes={"user": {"before": None, "after": user.email},
                                               "replaced": {"before": None, "after": revoked}})
    return IssuedFeedToken(token, secret)


def revoke_feed_token(session: Session, *, actor: Actor, user: User) -> list[int]:
    """Revokes the user's calendar feed secret; returns the ids revoked (none when there was none)."""
    revoked = _revoke_active(session, user.id)  # type: ignore[arg-type]
    for token_id in revoked:
        audit.record(session, actor=actor, action="calendar_token.revoked", subject_type="calendar_feed_token",
                     subject_id=token_id, changes={"revoked_at": {"before": None, "after": utcnow()}})
    return revoked


def _revoke_active(session: Session, user_id: int) -> list[int]:
    tokens = session.scalars(select(CalendarFeedToken).where(
        CalendarFeedToken.user_id == user_id, CalendarFeedToken.revoked_at.is_(None))).all()  # type: ignore[union-attr]
    now = utcnow()
    for token in tokens:
        token.revoked_at = now
    session.flush()
    return [t.id for t in tokens]  # type: ignore[misc]


def user_for_feed_token(session: Session, secret: str) -> User:
    """The active user behind a feed secret who may still read reminders; anything else is not found (the
    answer does not tell a revoked secret from one that never existed)."""
    row = session.execute(
        select(User, CalendarFeedToken.revoked_at).join(CalendarFeedToken, CalendarFeedToken.user_id == User.id)
        .where(CalendarFeedToken.token_hash == token_hash(secret))
    ).first()
    if row is None or row[1] is not None or not row[0].is_active or not allowed(row[0].role, Permission.reminder_read):
        raise CalendarFeedNotFound(
            "No calendar feed has this token (it may have been replaced or revoked); create a new feed URL on "
            "your account page (/account) or with POST /api/v1/me/calendar-token."
        )
    return row[0]


def active_feed_token(session: Session, *, user_id: int) -> CalendarFeedToken | None:
    """The user's calendar feed secret in force (its prefix and date, never the secret), or None."""
    return session.scalars(select(CalendarFeedToken).where(
        CalendarFeedToken.user_id == user_id, CalendarFeedToken.revoked_at.is_(None))  # type: ignore[union-attr]
        .order_by(CalendarFeedToken.id.desc()).limit(1)).first()  # type: ignore[union-attr]
