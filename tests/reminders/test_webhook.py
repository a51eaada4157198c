"""The webhook channel against a real local HTTP server: Slack-compatible JSON, retries with backoff, failures
recorded and retried by the next run."""

from datetime import timedelta

from sqlalchemy import select

from app.reminders import jobs
from app.reminders.models import ReminderDelivery
from tests.reminders.conftest import PUBLIC_URL, SLOW, TODAY, job_settings
from tests.reminders.register import build_estate, make_document


def run(engine, clock, channels, tmp_path, **kwargs):
    settings = job_settings(signing_p12=tmp_path / "no-signing-key.p12")
    return jobs.run(today=kwargs.pop("today", TODAY), settings=settings, engine=engine, channels=channels, now=clock,
                    **kwargs)


def rows(session_on):
    with session_on() as session:
        return session.scalars(select(ReminderDelivery).order_by(ReminderDelivery.id)).all()


def test_the_team_channel_gets_every_item_once_as_slack_blocks(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)

    report = run(live_engine, clock, [webhook_server.channel()], tmp_path)

    assert not report.failed
    [body] = webhook_server.accepted()
    assert set(body) == {"text", "blocks"}
    assert body["text"].startswith("riskreg reminders: 2 overdue, 3 due soon, 1 estate alert\n")
    assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text",
                                                            "text": "riskreg reminders: 2 overdue, 3 due soon, 1 estate alert"}}
    sections = [b["text"]["text"] for b in body["blocks"][1:]]
    assert len(sections) == 6 and all(b["type"] == "section" for b in body["blocks"][1:])
    assert any(s.startswith(f"*Due:* <{PUBLIC_URL}/documents/") and "Acme DPA (Acme &amp; &lt;Co&gt;) expires>"
               in s for s in sections)
    assert sorted(webhook_server.titles()) == sorted(estate.expected_webhook)

    run(live_engine, clock, [webhook_server.channel()], tmp_path)  # again: nothing new
    assert len(webhook_server.bodies) == 1


def test_a_500_is_retried_after_a_backoff_and_then_delivered(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    webhook_server.statuses = [500, 503]
    slept: list[float] = []

    report = run(live_engine, clock, [webhook_server.channel(sleep=slept.append)], tmp_path)

    assert not report.failed
    assert webhook_server.answered == [500, 503, 200]
    assert webhook_server.bodies[0] == webhook_server.bodies[2]  # the same message, sent again
    assert slept == [1.0, 2.0]  # exponential backoff
    assert {r.status for r in rows(session_on)} == {"sent"}


def test_429_waits_as_long_as_the_server_asks(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    webhook_server.statuses = [429]
    slept: list[float] = []
    assert not run(live_engine, clock, [webhook_server.channel(sleep=slept.append)], tmp_path).failed
    assert slept == [3.0]


def test_a_permanent_failure_is_recorded_and_retried_by_the_next_run(live_engine, session_on, webhook_server, clock,
                                                                     tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    webhook_server.statuses = [500] * 4

    report = run(live_engine, clock, [webhook_server.channel()], tmp_path)

    assert report.failed and webhook_server.accepted() == []
    assert webhook_server.answered == [500] * 4
    failed = rows(session_on)
    assert len(failed) == 6
    assert {(r.status, r.attempts, r.last_error) for r in failed} == {
        ("failed", 1, "the webhook answered HTTP 500 (after 4 attempts)")}
    assert "webhook: sent 0 messages with 0 reminders; failed 1 message with 6 reminders" in report.lines()

    clock.advance(minutes=11)  # past the lease
    retried = run(live_engine, clock, [webhook_server.channel()], tmp_path)

    assert not retried.failed and retried.retried == 6
    assert len(webhook_server.accepted()) == 1
    assert sorted(webhook_server.titles()) == sorted(estate.expected_webhook)
    assert {(r.status, r.attempts, r.last_error) for r in rows(session_on)} == {("sent", 2, None)}


def test_a_4xx_is_not_retried_within_the_run(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    webhook_server.statuses = [404]
    report = run(live_engine, clock, [webhook_server.channel()], tmp_path)
    assert report.failed and webhook_server.answered == [404]
    assert {r.last_error for r in rows(session_on)} == {"the webhook answered HTTP 404"}


def test_a_webhook_that_does_not_answer_in_time_fails_and_names_no_url(live_engine, session_on, webhook_server, clock,
                                                                       tmp_path):
    with session_on() as session:
        build_estate(session)
    webhook_server.statuses = [SLOW, SLOW]
    channel = webhook_server.channel(attempts=2)
    channel._client.timeout = 0.3  # noqa: SLF001  (the receiver answers after 1.5 s)

    report = run(live_engine, clock, [channel], tmp_path)

    assert report.failed
    [error] = {r.last_error for r in rows(session_on)}
    assert error == "the webhook did not answer in time (after 2 attempts)"
    assert "secret" not in " ".join(report.lines()) and "/hooks/" not in repr(channel)
    assert {r.recipient for r in rows(session_on)} == {channel.recipient}
    assert channel.recipient.startswith("webhook:") and "secret" not in channel.recipient


def test_many_items_are_split_into_messages_slack_accepts(live_engine, session_on, webhook_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)
        vendor_id = session.scalars(select(ReminderDelivery.id)).first()  # none yet: just a session check
        assert vendor_id is None
        from app.vendors.models import Vendor

        vendor = session.scalars(select(Vendor)).first()
        for n in range(95):
            make_document(session, vendor.id, uploaded_by=estate.users["procurement"], title=f"Bulk {n}",
                          expires_on=TODAY + timedelta(days=n % 60))
        session.commit()

    report = run(live_engine, clock, [webhook_server.channel()], tmp_path)

    bodies = webhook_server.accepted()
    assert [len(b["blocks"]) - 1 for b in bodies] == [40, 40, 21]
    assert all(len(b["blocks"]) <= 50 for b in bodies)
    assert report.channels[0].reminders == 101 and report.channels[0].messages == 3
