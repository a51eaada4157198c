"""What `riskreg reminders run` does: plan today's announcements, claim them, send them, record the outcome.

Safe to run late, twice, or on two dynos at once. Each delivery is claimed in a short writing transaction
(the unique constraint on reminder_delivery decides who gets it), sent outside any transaction, then marked
sent in another, so the global write lock is never held while an SMTP server or a webhook is talking. A claim
whose run died is taken over by the next run once the lease has passed; a failed send is retried then too.
Two cases can send a message twice, never zero times: a crash after the server accepted it but before it was
marked sent, and a single send that hangs for longer than the lease.
"""

import gc
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Engine
from sqlmodel import Session

from app.core.config import Settings, get_settings
from app.core.db import open_session, transaction, utcnow
from app.reminders import schedule
from app.reminders import service as reminder_service
from app.reminders.channels import (
    WEBHOOK_ITEMS_PER_MESSAGE,
    ChannelError,
    Digest,
    EmailChannel,
    SmtpTarget,
    WebhookChannel,
    build_digest,
)
from app.reminders.models import Channel as ChannelName
from app.reminders.models import ReminderDelivery
from app.reminders.service import Planned

log = logging.getLogger("riskreg.reminders")
CLAIM_SLICE = 5_000  # deliveries claimed per transaction


class Sender(Protocol):
    name: str

    def session(self) -> Any: ...

    def send(self, digest: Digest) -> None: ...


def channels_from(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> list[Sender]:
    """The channels the settings configure: e-mail when RISKREG_SMTP_URL is set, the webhook when
    RISKREG_WEBHOOK_URL is."""
    found: list[Sender] = []
    if settings.smtp_url is not None:
        found.append(EmailChannel(SmtpTarget.parse(settings.smtp_url.get_secret_value()), sender=settings.smtp_from or "",
                                  starttls=settings.smtp_starttls))
    if settings.webhook_url is not None:
        found.append(WebhookChannel(settings.webhook_url.get_secret_value(),
                                    timeout=settings.webhook_timeout_seconds, attempts=settings.webhook_attempts,
                                    sleep=sleep))
    return found


@dataclass
class ChannelReport:
    name: str
    messages: int = 0
    reminders: int = 0
    failed_messages: int = 0
    failed_reminders: int = 0
    recipients: set[str] = field(default_factory=set)
    lines: list[str] = field(default_factory=list)

    def summary(self, *, dry_run: bool) -> str:
        what = "digest" if self.name == ChannelName.email else "message"
        verb = "would send" if dry_run else "sent"
        to = f" to {len(self.recipients)} recipient{'' if len(self.recipients) == 1 else 's'}" if self.name == "email" else ""
        failed = "" if dry_run else (f"; failed {self.failed_messages} {what}{'' if self.failed_messages == 1 else 's'} "
                                     f"with {self.failed_reminders} reminder{'' if self.failed_reminders == 1 else 's'}")
        return (f"{self.name}: {verb} {self.messages} {what}{'' if self.messages == 1 else 's'} with {self.reminders} "
                f"reminder{'' if self.reminders == 1 else 's'}{to}{failed}")


@dataclass
class RunReport:
    today: date
    dry_run: bool
    run_id: str | None = None
    due: int = 0  # announcements current today
    overdue: int = 0
    alerts: int = 0
    planned: int = 0  # deliveries: announcements x channels x recipients
    new: int = 0
    retried: int = 0
    already_sent: int = 0
    held_elsewhere: int = 0  # claimed by another run whose lease has not passed
    lost_to_another_run: int = 0  # claimed by a run that started at the same time
    channels: list[ChannelReport] = field(default_factory=list)
    links_are_paths: bool = False  # e-mail without RISKREG_PUBLIC_URL

    @property
    def failed(self) -> bool:
        return any(c.failed_messages for c in self.channels)

    def lines(self) -> list[str]:
        soon = self.due - self.overdue - self.alerts
        head = (f"reminders for {self.today.isoformat()}{' (dry run: nothing sent, nothing recorded)' if self.dry_run else ''}: "
                f"{self.due} due now ({self.overdue} overdue, {soon} due soon, {self.alerts} estate alert"
                f"{'' if self.alerts == 1 else 's'})")
        if not self.channels:
            return [head, "no channel configured: set RISKREG_SMTP_URL and RISKREG_SMTP_FROM, or RISKREG_WEBHOOK_URL; "
                          "nothing sent (the calendar feed still shows them)"]
        deliveries = (f"{self.planned} deliveries: {self.new} new, {self.retried} to retry, {self.already_sent} already "
                      f"sent, {self.held_elsewhere + self.lost_to_another_run} taken by another run")
        out = [head, deliveries]
        if self.links_are_paths:
            out.append("note: RISKREG_PUBLIC_URL is not set, so the links in e-mails are paths, not addresses")
        for channel in self.channels:
            out.append(channel.summary(dry_run=self.dry_run))
            out.extend(f"  {line}" for line in channel.lines)
        return out


@contextmanager
def _bulk() -> Iterator[None]:
    """Pauses the cyclic garbage collector while a large register is read and planned: the hundreds of thousands
    of small, acyclic objects that live until the run ends made it rescan them over and over (half the time of
    a dry run over 100,000 documents). Reference counting still frees garbage as it goes."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _writing(engine: Engine | None) -> Iterator[Session]:
    """A short writing transaction (takes the global write lock; commits on leaving)."""
    with open_session(write=True, engine=engine) as session:
        yield from transaction(session)


def plan_deliveries(announced: Sequence[schedule.Announcement], directory: schedule.Directory,
                    channels: Sequence[Sender]) -> list[Planned]:
    """Each announcement once per channel and recipient: e-mail to every addressee, the webhook once."""
    planned: list[Planned] = []
    email = [c for c in channels if c.name == ChannelName.email]
    others = [(c.name, str(getattr(c, "recipient", c.name))) for c in channels if c.name != ChannelName.email]
    user_key = {person_id: f"user:{person_id}" for person_id in directory.by_id}
    email_name = ChannelName.email.value
    for announcement in announced:
        if email:
            for person in schedule.addressees(announcement.item, directory):
                planned.append(Planned(announcement, email_name, user_key[person.id], person))
        for name, recipient in others:
            planned.append(Planned(announcement, name, recipient, None))
    return planned


def _batches(channel: Sender, deliveries: Sequence[tuple[Any, Planned]]) -> list[list[tuple[Any, Planned]]]:
    """E-mail: one digest per recipient. Webhook: messages of at most WEBHOOK_ITEMS_PER_MESSAGE items."""
    ordered = sorted(deliveries, key=lambda d: (d[1].recipient, d[1].announcement.item.due_on, d[1].announcement.item.key))
    if channel.name == ChannelName.email:
        groups: dict[str, list[tuple[Any, Planned]]] = defaultdict(list)
        for delivery in ordered:
            groups[delivery[1].recipient].append(delivery)
        return list(groups.values())
    return [ordered[i:i + WEBHOOK_ITEMS_PER_MESSAGE] for i in range(0, len(ordered), WEBHOOK_ITEMS_PER_MESSAGE)]


def _digest(batch: Sequence[tuple[Any, Planned]], *, today: date, public_url: str | None) -> Digest:
    return build_digest([p.announcement for _, p in batch], to=batch[0][1].person, today=today, public_url=public_url)


def _line(channel: Sender, batch: Sequence[tuple[Any, Planned]], *, outcome: str) -> str:
    person = batch[0][1].person
    who = person.email if person is not None and channel.name == ChannelName.email else channel.name
    return f"{who}: {len(batch)} reminder{'' if len(batch) == 1 else 's'}{outcome}"


@dataclass
class _Plan:
    report: RunReport
    planned: list[Planned]
    new: list[Planned]
    retry: dict[int, Planned]  # row id -> delivery
    by_identity: dict[tuple[str, date, int, str, str], Planned]


def _plan(*, today: date, dry_run: bool, engine: Engine | None, senders: list[Sender], started: datetime,
          lease: timedelta, rules: schedule.Rules, certificate: schedule.CertificateFact | None) -> _Plan:
    """Read the register, plan today's deliveries and sort them into new, to retry, and already done."""
    with open_session(write=False, engine=engine) as session:
        register = reminder_service.register(session, today=today, certificate=certificate)
        directory = reminder_service.directory(session)
    announced = list(schedule.plan(register, today=today, rules=rules))
    report = RunReport(today=today, dry_run=dry_run, due=len(announced),
                       overdue=sum(1 for a in announced if not a.item.alert and a.item.due_on < today),
                       alerts=sum(1 for a in announced if a.item.alert))
    report.channels = [ChannelReport(c.name) for c in senders]
    planned = plan_deliveries(announced, directory, senders)
    report.planned = len(planned)
    new: list[Planned] = []
    retry: dict[int, Planned] = {}
    if planned:
        with open_session(write=False, engine=engine) as session:
            known = reminder_service.existing(session, planned)
        for p in planned:
            row = known.get(p.identity)
            if row is None:
                new.append(p)
            elif row.status == "sent":
                report.already_sent += 1
            elif reminder_service.retryable(row, now=started, lease=lease):
                retry[row.id] = p
            else:
                report.held_elsewhere += 1
    report.new, report.retried = len(new), len(retry)
    return _Plan(report, planned, new, retry, {p.identity: p for p in planned})


def run(
    *, today: date, dry_run: bool = False, settings: Settings | None = None, engine: Engine | None = None,
    channels: Sequence[Sender] | None = None, now: Callable[[], datetime] = utcnow,
) -> RunReport:
    """Announce what is due on `today` on every configured channel, each delivery once."""
    settings = settings or get_settings()
    senders = list(channels) if channels is not None else channels_from(settings)
    certificate = reminder_service.configured_certificate(settings)
    lease = timedelta(minutes=settings.reminder_lease_minutes)
    started = now()
    with _bulk():
        plan = _plan(today=today, dry_run=dry_run, engine=engine, senders=senders, started=started, lease=lease,
                     rules=reminder_service.rules_from(settings), certificate=certificate)
        gc.freeze()  # what was planned lives until the run ends: the collector need not scan it again
    try:
        return _deliver_all(plan, today=today, dry_run=dry_run, settings=settings, engine=engine, senders=senders,
                            started=started, lease=lease, now=now)
    finally:
        gc.unfreeze()


def _deliver_all(plan: _Plan, *, today: date, dry_run: bool, settings: Settings, engine: Engine | None,
                 senders: list[Sender], started: datetime, lease: timedelta, now: Callable[[], datetime]) -> RunReport:
    report = plan.report
    report.links_are_paths = settings.public_url is None and any(c.name == ChannelName.email for c in senders)
    if dry_run or not plan.planned:
        todo = [(None, p) for p in [*plan.new, *plan.retry.values()]]
        for channel, channel_report in zip(senders, report.channels, strict=True):
            for batch in _batches(channel, [d for d in todo if d[1].channel == channel.name]):
                _count(channel_report, batch, sent=True)
                channel_report.lines.append(_line(channel, batch, outcome=""))
        _log(report)
        return report
    new, retry, by_identity = plan.new, plan.retry, plan.by_identity

    report.run_id = run_id = uuid.uuid4().hex
    # Claimed in slices, each its own short transaction: a first run over a large register never holds the
    # write lock (and the web requests queued behind it) for long.
    retry_ids = list(retry)
    for start in range(0, max(len(new), len(retry_ids)), CLAIM_SLICE):
        with _writing(engine) as session:
            reminder_service.claim(session, new[start:start + CLAIM_SLICE], retry_ids[start:start + CLAIM_SLICE],
                                   run_id=run_id, now=started, lease=lease)
    with open_session(write=False, engine=engine) as session:
        claimed = reminder_service.held(session, run_id=run_id)
    held = [(row, by_identity[_identity(row)]) for row in claimed]
    report.lost_to_another_run = len(new) + len(retry) - len(held)

    claim = _Claim(run_id=run_id, engine=engine, now=now, lease=lease, ids={row.id for row, _ in held}, renewed_at=started)
    with ExitStack() as stack:
        for channel, channel_report in zip(senders, report.channels, strict=True):
            mine = [d for d in held if d[1].channel == channel.name]
            if not mine:
                continue
            stack.enter_context(channel.session())
            for batch in _batches(channel, mine):
                _deliver(channel, channel_report, batch, claim=claim, today=today, public_url=settings.public_url)
    _log(report)
    return report


@dataclass
class _Claim:
    """What this run holds, and when it last told the database it still does."""

    run_id: str
    engine: Engine | None
    now: Callable[[], datetime]
    lease: timedelta
    ids: set[int]  # claimed and not yet sent or failed
    renewed_at: datetime

    def keep(self) -> None:
        """Renews the claim on everything still to send once a third of the lease has gone by, so no other run
        can take it over while this one is busy (one short transaction, not one per message). What another run
        did take over (this one stalled past the lease) is dropped from what this run sends."""
        at = self.now()
        if at - self.renewed_at < self.lease / 3 or not self.ids:
            return
        with _writing(self.engine) as session:
            self.ids = reminder_service.renew(session, sorted(self.ids), run_id=self.run_id, now=at)
        self.renewed_at = at


def _identity(row: ReminderDelivery) -> tuple[str, date, int, str, str]:
    return row.item_key, row.due_on, row.lead_days, row.channel, row.recipient


def _count(channel_report: ChannelReport, batch: Sequence[tuple[Any, Planned]], *, sent: bool) -> None:
    if sent:
        channel_report.messages += 1
        channel_report.reminders += len(batch)
    else:
        channel_report.failed_messages += 1
        channel_report.failed_reminders += len(batch)
    channel_report.recipients.add(batch[0][1].recipient)


def _deliver(channel: Sender, channel_report: ChannelReport, batch: list[tuple[Any, Planned]], *, claim: _Claim,
             today: date, public_url: str | None) -> None:
    """Keep the claim, send outside any transaction, then record sent or failed."""
    claim.keep()
    batch = [d for d in batch if d[0].id in claim.ids]
    if not batch:
        return
    ids = [row.id for row, _ in batch]
    claim.ids.difference_update(ids)
    engine, run_id, now = claim.engine, claim.run_id, claim.now
    try:
        channel.send(_digest(batch, today=today, public_url=public_url))
    except Exception as exc:  # noqa: BLE001 - one bad message (any cause) must not stop the others
        if not isinstance(exc, ChannelError):
            log.exception("reminder delivery raised", extra={"channel": channel.name})
            exc = ChannelError(f"{type(exc).__name__}: {exc}")
        with _writing(engine) as session:
            reminder_service.mark_failed(session, ids, run_id=run_id, error=str(exc))
        _count(channel_report, batch, sent=False)
        channel_report.lines.append(_line(channel, batch, outcome=f" FAILED: {exc}"))
        log.warning("reminder delivery failed", extra={"channel": channel.name, "reminders": len(batch), "error": str(exc)})
        return
    with _writing(engine) as session:
        reminder_service.mark_sent(session, ids, run_id=run_id, now=now())
    _count(channel_report, batch, sent=True)
    channel_report.lines.append(_line(channel, batch, outcome=""))


def _log(report: RunReport) -> None:
    figures: dict[str, Any] = {"today": report.today.isoformat(), "dry_run": report.dry_run, "due": report.due,
                               "planned": report.planned, "new": report.new, "retried": report.retried,
                               "already_sent": report.already_sent,
                               "held_elsewhere": report.held_elsewhere + report.lost_to_another_run}
    for c in report.channels:
        figures |= {f"{c.name}_sent": c.reminders, f"{c.name}_messages": c.messages, f"{c.name}_failed": c.failed_reminders}
    log.info("reminders run", extra=figures)
