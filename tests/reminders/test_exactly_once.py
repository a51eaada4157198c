"""Each reminder reaches each recipient once per lead time and channel: runs at the same time (threads and
`riskreg reminders run` processes), a run that dies between claim and send, a dry run, on SQLite and PostgreSQL.
Counted where users notice it: the e-mails the SMTP server received and the messages the webhook received."""

import os
import subprocess
import sys
import textwrap
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.reminders import jobs
from app.reminders import service as reminder_service
from app.reminders.models import ReminderDelivery
from app.reminders.schedule import Announcement, Kind, Person
from app.reminders.service import Planned
from tests.reminders.conftest import PUBLIC_URL, SENDER, TODAY, job_settings
from tests.reminders.register import build_estate

ROOT = Path(__file__).resolve().parents[2]
_SCRIPT = Path(sys.executable).with_name("riskreg")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]


def run(engine, clock, channels, tmp_path, **kwargs):
    settings = job_settings(signing_p12=tmp_path / "no-signing-key.p12")
    return jobs.run(today=kwargs.pop("today", TODAY), settings=settings, engine=engine, channels=channels, now=clock,
                    **kwargs)


def count_rows(session_on) -> Counter:
    with session_on() as session:
        return Counter(dict(session.execute(
            select(ReminderDelivery.status, func.count()).group_by(ReminderDelivery.status)).all()))


def environment(engine, tmp_path, smtp_server, webhook_server, **extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKREG_") and k not in ("DATABASE_URL", "PORT")}
    return env | {
        "DATABASE_URL": engine.url_for_subprocess, "RISKREG_DATA_DIR": str(tmp_path / "var"),
        "RISKREG_SMTP_URL": smtp_server.url, "RISKREG_SMTP_FROM": SENDER, "RISKREG_SMTP_STARTTLS": "false",
        "RISKREG_WEBHOOK_URL": webhook_server.url, "RISKREG_PUBLIC_URL": PUBLIC_URL,
        "RISKREG_SIGNING_P12": str(tmp_path / "no-signing-key.p12"),
    } | extra


def assert_each_once(smtp_server, webhook_server, estate) -> None:
    received = smtp_server.reminders()
    assert Counter(received) == Counter(estate.expected_email), "an e-mail reminder went out twice or not at all"
    assert Counter(webhook_server.titles()) == Counter(estate.expected_webhook)


def test_the_unique_constraint_decides_between_two_claims(live_engine, session_on, clock):
    """Two runs that planned the same delivery and both try to claim it: the second gets nothing."""
    from app.reminders.schedule import DueItem

    item = DueItem("document:1:expires:2026-12-29", Kind.document_expires, TODAY + timedelta(days=30), "T", "D", None,
                   None, "procurement")
    person = Person(1, "p@x.test", "P", "procurement")
    planned = [Planned(Announcement(item, 30), "email", "user:1", None), Planned(Announcement(item, 30), "webhook",
                                                                                  "webhook:abc", None)]
    del person
    lease = timedelta(minutes=10)
    with session_on() as first, session_on() as second:
        got_first = reminder_service.claim(first, planned, [], run_id="a" * 32, now=clock(), lease=lease)
        first.commit()
        got_second = reminder_service.claim(second, planned, [], run_id="b" * 32, now=clock(), lease=lease)
        second.commit()
    assert len(got_first) == 2 and got_second == []

    # A claim whose lease ran out is taken over, and the run that lost it can no longer renew or mark it.
    ids = [row.id for row in got_first]
    later = clock() + timedelta(minutes=11)
    with session_on() as third:
        taken = reminder_service.claim(third, [], ids, run_id="c" * 32, now=later, lease=lease)
        assert reminder_service.renew(third, ids, run_id="a" * 32, now=later) == set()
        assert reminder_service.mark_sent(third, ids, run_id="a" * 32, now=later) == 0
        assert reminder_service.mark_sent(third, ids, run_id="c" * 32, now=later) == 2
        third.commit()
    assert [r.attempts for r in taken] == [2, 2]
    with session_on() as fourth:  # a sent delivery is never taken again, however old
        assert reminder_service.claim(fourth, [], ids, run_id="d" * 32, now=later + timedelta(days=30), lease=lease) == []


def test_runs_in_four_threads_at_once_send_each_reminder_once(live_engine, session_on, smtp_server, webhook_server,
                                                              clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    barrier = threading.Barrier(4)
    reports, errors = [], []

    def one_run():
        try:
            barrier.wait()
            reports.append(run(live_engine, clock, [smtp_server.channel(), webhook_server.channel()], tmp_path))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one_run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert not errors and len(reports) == 4 and not any(r.failed for r in reports)
    assert_each_once(smtp_server, webhook_server, estate)
    assert sum(r.channels[0].reminders for r in reports) == 8
    assert count_rows(session_on) == {"sent": 14}


def test_two_processes_at_once_send_each_reminder_once(live_engine, session_on, smtp_server, webhook_server,
                                                       tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    env = environment(live_engine, tmp_path, smtp_server, webhook_server)
    processes = [subprocess.Popen([*COMMAND, "reminders", "run", "--today", TODAY.isoformat()], env=env, cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in processes]

    assert [p.returncode for p in processes] == [0, 0], outputs
    assert_each_once(smtp_server, webhook_server, estate)
    assert count_rows(session_on) == {"sent": 14}
    printed = "".join(out for out, _ in outputs)
    assert printed.count("reminders for 2026-11-29:") == 2
    assert "email: sent" in printed and "webhook: sent" in printed


def test_a_run_that_dies_between_claim_and_send_is_recovered_after_the_lease(live_engine, session_on, smtp_server,
                                                                             webhook_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)

    class Crashing:
        name = "email"

        def session(self):
            return smtp_server.channel().session()

        def send(self, digest):
            raise KeyboardInterrupt  # the dyno is stopped mid-run

    with pytest.raises(KeyboardInterrupt):
        run(live_engine, clock, [Crashing(), webhook_server.channel()], tmp_path)
    assert smtp_server.messages == [] and webhook_server.bodies == []
    assert count_rows(session_on) == {"claimed": 14}

    clock.advance(minutes=9)  # the lease has not passed: a run now leaves them to the (dead) run
    early = run(live_engine, clock, [smtp_server.channel(), webhook_server.channel()], tmp_path)
    assert early.held_elsewhere == 14 and smtp_server.messages == []

    clock.advance(minutes=2)
    late = run(live_engine, clock, [smtp_server.channel(), webhook_server.channel()], tmp_path)
    assert late.retried == 14 and not late.failed
    assert_each_once(smtp_server, webhook_server, estate)
    assert count_rows(session_on) == {"sent": 14}


def test_a_process_killed_after_claiming_is_recovered_by_the_next_run(live_engine, session_on, smtp_server,
                                                                      webhook_server, clock, tmp_path):
    """SIGKILL (no cleanup, no rollback of what was committed) right when the first e-mail would go out."""
    with session_on() as session:
        estate = build_estate(session)
    script = textwrap.dedent("""
        import os, signal
        from datetime import date
        from app.reminders import jobs
        from app.reminders.channels import EmailChannel

        def die(self, digest):
            os.kill(os.getpid(), signal.SIGKILL)

        EmailChannel.send = die
        jobs.run(today=date(2026, 11, 29))
    """)
    env = environment(live_engine, tmp_path, smtp_server, webhook_server)
    killed = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    assert smtp_server.messages == [] and webhook_server.bodies == []
    assert count_rows(session_on) == {"claimed": 14}

    # The killed run claimed on the real clock (it ran in its own process): the next run comes 11 minutes
    # after that, past the 10-minute lease, whatever the time of day the suite runs at.
    clock.at = datetime.now(UTC) + timedelta(minutes=11)
    recovered = run(live_engine, clock, [smtp_server.channel(), webhook_server.channel()], tmp_path)
    assert recovered.retried == 14 and not recovered.failed
    assert_each_once(smtp_server, webhook_server, estate)


def test_a_dry_run_sends_nothing_and_records_nothing(live_engine, session_on, smtp_server, webhook_server, tmp_path):
    with session_on() as session:
        build_estate(session)
    env = environment(live_engine, tmp_path, smtp_server, webhook_server)

    result = subprocess.run([*COMMAND, "reminders", "run", "--dry-run", "--today", TODAY.isoformat()], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stderr
    assert smtp_server.messages == [] and webhook_server.bodies == []
    assert count_rows(session_on) == {}
    lines = result.stdout.splitlines()
    assert lines[0] == ("reminders for 2026-11-29 (dry run: nothing sent, nothing recorded): 6 due now (2 overdue, "
                        "3 due soon, 1 estate alert)")
    assert lines[1] == "14 deliveries: 14 new, 0 to retry, 0 already sent, 0 taken by another run"
    assert "email: would send 4 digests with 8 reminders to 4 recipients" in lines
    assert "webhook: would send 1 message with 6 reminders" in lines


def test_the_cli_exits_1_when_a_channel_failed_and_0_once_it_recovers(live_engine, session_on, smtp_server,
                                                                      webhook_server, tmp_path):
    with session_on() as session:
        build_estate(session)
    webhook_server.statuses = [500]
    env = environment(live_engine, tmp_path, smtp_server, webhook_server, RISKREG_WEBHOOK_ATTEMPTS="1",
                      RISKREG_REMINDER_LEASE_MINUTES="1")
    failed = subprocess.run([*COMMAND, "reminders", "run", "--today", TODAY.isoformat()], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert failed.returncode == 1
    assert "webhook: sent 0 messages with 0 reminders; failed 1 message with 6 reminders" in failed.stdout
    assert "FAILED: the webhook answered HTTP 500 (after 1 attempt)" in failed.stdout
    assert "retried by the next run" in failed.stderr and "Traceback" not in failed.stderr
    assert "secret" not in failed.stdout + failed.stderr  # the webhook URL's secret path is never printed
    assert len(smtp_server.messages) == 4  # e-mail went out regardless

    with session_on() as session:  # as if the lease (1 minute) had passed
        for row in session.scalars(select(ReminderDelivery)):
            row.claimed_at -= timedelta(minutes=2)
        session.commit()
    again = subprocess.run([*COMMAND, "reminders", "run", "--today", TODAY.isoformat()], env=env, cwd=ROOT,
                           capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "8 already sent" in again.stdout and "webhook: sent 1 message with 6 reminders" in again.stdout
    assert len(smtp_server.messages) == 4


def test_a_sent_reminder_is_not_sent_again_on_later_days(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    run(live_engine, clock, [smtp_server.channel()], tmp_path)
    sent = len(smtp_server.reminders())
    for day in range(1, 4):  # the next three days: nothing moved to a new slot
        clock.advance(days=1)
        report = run(live_engine, clock, [smtp_server.channel()], tmp_path, today=TODAY + timedelta(days=day))
        assert report.channels[0].reminders == 0
    assert len(smtp_server.reminders()) == sent
