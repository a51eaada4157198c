"""E-mail digests received by a real SMTP server (aiosmtpd on loopback): who gets what, in text and HTML."""

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from app.reminders import jobs
from app.reminders.channels import ChannelError, SmtpTarget
from app.reminders.models import ReminderDelivery
from tests.reminders.conftest import PUBLIC_URL, TODAY, job_settings
from tests.reminders.register import build_estate


def run(engine, clock, channels, tmp_path: Path, **kwargs):
    settings = job_settings(signing_p12=tmp_path / "no-signing-key.p12", **kwargs.pop("settings", {}))
    return jobs.run(today=kwargs.pop("today", TODAY), settings=settings, engine=engine, channels=channels, now=clock,
                    **kwargs)


def test_one_digest_per_recipient_with_each_item_once(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)

    report = run(live_engine, clock, [smtp_server.channel()], tmp_path)

    assert not report.failed
    recipients = Counter(m.rcpt_tos[0] for m in smtp_server.messages)
    assert set(recipients) == {email for email, _ in estate.expected_email}
    assert set(recipients.values()) == {1}  # one digest each
    assert sorted(smtp_server.reminders()) == sorted(estate.expected_email)
    assert report.channels[0].messages == 4 and report.channels[0].reminders == 8


def test_the_digest_reads_well_in_text_and_html_with_links(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    run(live_engine, clock, [smtp_server.channel()], tmp_path)

    p = estate.users["procurement"]
    [mail] = [m for m in smtp_server.messages if m.rcpt_tos == [p.email]]
    message = mail.message
    assert message["Subject"] == "riskreg reminders: 1 overdue, 2 due soon"
    assert message["From"] == "riskreg <reminders@riskreg.test>"
    assert p.email in message["To"] and message["Auto-Submitted"] == "auto-generated"
    assert message.get_content_type() == "multipart/alternative"

    text = mail.text
    assert "Overdue\n-------" in text and "Due soon\n--------" in text
    assert "* Acme SOC 2 (Acme & <Co>) goes out of date: 10 days overdue (2026-11-19)" in text
    assert "* Acme DPA (Acme & <Co>) expires: in 30 days (2026-12-29)" in text
    assert "* Last day to give notice on Acme MSA (Acme & <Co>): in 7 days (2026-12-06)" in text
    assert f"{PUBLIC_URL}/documents/" in text
    assert "&amp;" not in text  # plain text is not HTML-escaped

    html = mail.html
    assert "Acme &amp; &lt;Co&gt;" in html and "<Co>" not in html  # vendor names escaped
    assert "Procurement &lt;b&gt;Person&lt;/b&gt;" in html  # so is the recipient's own name
    assert html.count(f'<a href="{PUBLIC_URL}/documents/') == 3


def test_a_second_run_sends_nothing_and_a_later_slot_sends_again(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    run(live_engine, clock, [smtp_server.channel()], tmp_path)
    first = len(smtp_server.messages)

    clock.advance(hours=1)
    again = run(live_engine, clock, [smtp_server.channel()], tmp_path)
    assert len(smtp_server.messages) == first
    assert again.already_sent == 8 and again.channels[0].reminders == 0

    from datetime import timedelta
    later = run(live_engine, clock, [smtp_server.channel()], tmp_path, today=TODAY + timedelta(days=1))
    assert len(smtp_server.messages) == first  # the next day: every item still in the same slot
    assert later.already_sent == 8
    week = run(live_engine, clock, [smtp_server.channel()], tmp_path, today=TODAY + timedelta(days=7))
    titles = {t for _, t in smtp_server.reminders()[-week.channels[0].reminders:]}
    assert "Last day to give notice on Acme MSA (Acme & <Co>)" in titles  # 7 days on: the deadline itself (slot 0)


def test_password_login_with_special_characters(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    url = f"smtp://alerts%40riskreg.test:p%40ss%3Aw%2Frd%231@{smtp_server.host}:{smtp_server.port}"
    target = SmtpTarget.parse(url)
    assert "p@ss" not in repr(target)

    report = run(live_engine, clock, [smtp_server.channel(url=url)], tmp_path)

    assert smtp_server.logins[0] == ("alerts@riskreg.test", "p@ss:w/rd#1")
    assert not report.failed and len(smtp_server.messages) == 4


def test_a_wrong_password_fails_the_run_and_names_no_secret(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    url = f"smtp://alerts:hunter2-secret@{smtp_server.host}:{smtp_server.port}"

    report = run(live_engine, clock, [smtp_server.channel(url=url)], tmp_path)

    assert report.failed and smtp_server.messages == []
    with session_on() as session:
        rows = session.scalars(select(ReminderDelivery)).all()
    assert {r.status for r in rows} == {"failed"} and len(rows) == 8
    assert all("refused the user name or password" in r.last_error for r in rows)
    assert not any("hunter2" in r.last_error for r in rows)
    assert not any("hunter2" in line for line in report.lines())


def test_a_refused_recipient_fails_only_their_digest(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    smtp_server.refuse.add(estate.users["legal"].email)

    report = run(live_engine, clock, [smtp_server.channel()], tmp_path)

    assert report.failed
    assert {m.rcpt_tos[0] for m in smtp_server.messages} == {
        estate.users[r].email for r in ("procurement", "security", "engineer")}
    email = report.channels[0]
    assert (email.messages, email.failed_messages, email.failed_reminders) == (3, 1, 1)


def test_a_server_that_does_not_answer_fails_fast_and_is_retried_next_run(live_engine, session_on, smtp_server, clock,
                                                                          tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    down = smtp_server.channel(url="smtp://127.0.0.1:1")  # nothing listens on port 1
    report = run(live_engine, clock, [down], tmp_path)
    assert report.failed and report.channels[0].failed_messages == 4
    assert "cannot reach the SMTP server 127.0.0.1:1" in report.lines()[3]

    clock.advance(minutes=5)  # within the lease: not yet retried
    assert run(live_engine, clock, [smtp_server.channel()], tmp_path).channels[0].reminders == 0
    clock.advance(minutes=6)
    retried = run(live_engine, clock, [smtp_server.channel()], tmp_path)
    assert retried.retried == 8 and not retried.failed
    assert sorted(smtp_server.reminders()) == sorted(estate.expected_email)
    with session_on() as session:
        rows = session.scalars(select(ReminderDelivery)).all()
    assert {(r.status, r.attempts, r.last_error) for r in rows} == {("sent", 2, None)}


def test_starttls_is_required_unless_turned_off(live_engine, session_on, smtp_server, clock, tmp_path):
    with session_on() as session:
        build_estate(session)
    report = run(live_engine, clock, [smtp_server.channel(starttls=True)], tmp_path)
    assert report.failed and "does not offer STARTTLS" in report.lines()[3]
    assert smtp_server.messages == []


@pytest.mark.parametrize("url", ["http://user:hunter2@host", "smtp://hunter2@", "smtp://u:hunter2@host:notaport"])
def test_bad_smtp_urls_are_refused_at_start_without_echoing_them(url):
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as caught:
        job_settings(smtp_url=url, smtp_from="a@b.test")
    assert "hunter2" not in str(caught.value)


def test_parse_smtps_defaults():
    target = SmtpTarget.parse("smtps://mail.example.com")
    assert (target.host, target.port, target.implicit_tls, target.username) == ("mail.example.com", 465, True, None)
    with pytest.raises(ChannelError):
        SmtpTarget.parse("ftp://x")



def test_without_a_public_url_the_links_are_paths_and_the_run_says_so(live_engine, session_on, smtp_server, clock,
                                                                     tmp_path):
    with session_on() as session:
        estate = build_estate(session)
    report = run(live_engine, clock, [smtp_server.channel()], tmp_path, settings={"public_url": None})
    assert "note: RISKREG_PUBLIC_URL is not set, so the links in e-mails are paths, not addresses" in report.lines()
    [mail] = [m for m in smtp_server.messages if m.rcpt_tos == [estate.users["legal"].email]]
    assert "\n  /documents/" in mail.text
