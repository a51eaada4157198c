"""The reminders API and the calendar feed: what is upcoming, feed URLs made and revoked, and the feed parsed
back with the icalendar library (all-day events on the right dates whatever the server's time zone)."""

import os
import time
from datetime import date, datetime, timedelta

import icalendar
import pytest

from app.core.config import get_settings
from app.reminders import channels
from tests.factories import bearer, make_token
from tests.reminders.conftest import PUBLIC_URL, job_settings
from tests.reminders.register import build_estate


@pytest.fixture
def estate(db, app, tmp_path):
    app.dependency_overrides[get_settings] = lambda: job_settings(signing_p12=tmp_path / "no-signing-key.p12")
    return build_estate(db, today=date.today())


def as_user(db, user) -> dict[str, str]:
    headers = bearer(make_token(db, user))
    db.commit()
    return headers


def test_upcoming_lists_what_falls_due_soonest_first(client, estate):
    response = client.get("/api/v1/reminders/upcoming", params={"within": 90})
    assert response.status_code == 200, response.text
    body = response.json()
    today = date.today()
    assert body["today"] == today.isoformat() and body["until"] == (today + timedelta(days=90)).isoformat()
    rows = [(i["kind"], i["days_left"], i["role"]) for i in body["items"]]
    assert rows == [
        ("evidence_stale", -10, "procurement"), ("request_waiting", -3, "security"), ("notice_deadline", 7, "legal"),
        ("document_expires", 30, "procurement"), ("assessment_expires", 60, "security"),
    ]
    dpa = body["items"][3]
    assert dpa["title"] == "Acme DPA (Acme & <Co>) expires"
    assert dpa["url"] == PUBLIC_URL + dpa["link"] and dpa["link"].startswith("/documents/")
    assert dpa["owner_id"] == estate.users["procurement"].id
    assert dpa["key"] == f"document:{dpa['link'].rsplit('/', 1)[1]}:expires:{(today + timedelta(days=30)).isoformat()}"

    shorter = client.get("/api/v1/reminders/upcoming", params={"within": 10}).json()["items"]
    assert [i["kind"] for i in shorter] == ["evidence_stale", "request_waiting", "notice_deadline"]


def test_mine_keeps_what_the_caller_owns_or_acts_on(client, db, estate):
    legal = client.get("/api/v1/reminders/upcoming?mine=true", headers=as_user(db, estate.users["legal"])).json()
    assert [i["kind"] for i in legal["items"]] == ["notice_deadline"]
    engineer = client.get("/api/v1/reminders/upcoming?mine=true", headers=as_user(db, estate.users["engineer"])).json()
    assert [i["kind"] for i in engineer["items"]] == ["request_waiting"]  # they asked for it
    admin = client.get("/api/v1/reminders/upcoming?mine=true").json()
    assert len(admin["items"]) == 5


@pytest.mark.parametrize("query", ["within=-1", "within=3651", "within=abc", "witin=30"])
def test_bad_windows_are_refused(client, estate, query):
    response = client.get(f"/api/v1/reminders/upcoming?{query}")
    assert response.status_code == 422 and response.json()["error"] in ("ValidationError", "InvalidInput")


def feed_url(client, db, user) -> str:
    response = client.post("/api/v1/me/calendar-token", headers=as_user(db, user))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["token"].startswith("rrcal_") and body["prefix"] == body["token"][:12]
    assert body["url"] == f"{PUBLIC_URL}/calendar.ics?token={body['token']}"
    return body["url"].removeprefix(PUBLIC_URL)


def events(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"] == "-//riskreg//reminders//EN"
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_the_feed_has_an_all_day_event_per_item_of_the_users_role(client, anonymous, db, estate):
    url = feed_url(client, db, estate.users["procurement"])

    response = anonymous.get(url)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["cache-control"] == "private, no-store"
    found = events(response.content)
    today = date.today()
    assert {str(e["SUMMARY"]): e.decoded("DTSTART") for e in found.values()} == {
        "Acme SOC 2 (Acme & <Co>) goes out of date": today - timedelta(days=10),
        "Last day to give notice on Acme MSA (Acme & <Co>)": today + timedelta(days=7),  # the procurement user uploaded it
        "Acme DPA (Acme & <Co>) expires": today + timedelta(days=30),
        "Far off (Acme & <Co>) expires": today + timedelta(days=400),  # the feed looks two years ahead
    }
    for uid, event in found.items():
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date and end == start + timedelta(days=1)  # all-day: a date, no time, no zone
        assert "DTSTART;VALUE=DATE:" in event.to_ical().decode()
        assert uid.startswith("document:") and uid.endswith("@riskreg")
        assert isinstance(event.decoded("DTSTAMP"), datetime) and event.decoded("DTSTAMP").utcoffset() == timedelta(0)
        assert str(event["URL"]).startswith(f"{PUBLIC_URL}/documents/")

    again = events(anonymous.get(url).content)
    assert set(again) == set(found)  # the same UIDs on every download: clients update, never duplicate


def test_the_feed_of_a_role_with_nothing_due_is_an_empty_calendar(client, anonymous, db, estate):
    from tests.factories import make_user

    engineer = make_user(db, role="engineer")
    body = anonymous.get(feed_url(client, db, engineer)).content
    assert events(body) == {}


def test_dates_do_not_move_with_the_servers_time_zone(estate):
    """The same items rendered under UTC+14 and UTC-10: identical DTSTART lines (dates carry no zone)."""
    from app.reminders.schedule import DueItem, Kind

    item = DueItem("document:1:expires:2027-01-31", Kind.document_expires, date(2027, 1, 31), "T", "D", "/x", None,
                   "procurement")
    rendered = {}
    saved = os.environ.get("TZ")
    try:
        for zone in ("Pacific/Kiritimati", "America/Adak"):
            os.environ["TZ"] = zone
            time.tzset()
            body = channels.calendar([item], name="t", public_url=None, stamp=datetime.now().astimezone())
            [event] = icalendar.Calendar.from_ical(body).walk("VEVENT")
            rendered[zone] = (event.decoded("DTSTART"), [line for line in body.decode().splitlines() if "DTSTART" in line])
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()
    assert rendered["Pacific/Kiritimati"] == rendered["America/Adak"] == (date(2027, 1, 31), ["DTSTART;VALUE=DATE:20270131"])


def test_a_new_feed_url_replaces_the_old_and_revoking_ends_it(client, anonymous, db, estate):
    user = estate.users["legal"]
    old = feed_url(client, db, user)
    new = feed_url(client, db, user)
    assert anonymous.get(old).status_code == 404
    assert anonymous.get(new).status_code == 200

    response = client.delete("/api/v1/me/calendar-token", headers=as_user(db, user))
    assert response.status_code == 200 and response.json() == {"revoked": 1}
    refused = anonymous.get(new)
    assert refused.status_code == 404 and refused.json()["error"] == "CalendarFeedNotFound"
    assert client.delete("/api/v1/me/calendar-token", headers=as_user(db, user)).json() == {"revoked": 0}


@pytest.mark.parametrize("token", ["rrcal_not-a-real-token-at-all", "x" * 200])
def test_a_bad_token_is_refused(anonymous, estate, token):
    response = anonymous.get("/calendar.ics", params={"token": token})
    assert response.status_code == 404
    assert "calendar" not in response.headers.get("content-type", "")


def test_a_disabled_users_feed_stops(client, anonymous, db, estate):
    from app.auth import service as auth_service
    from tests.factories import TEST_ACTOR

    url = feed_url(client, db, estate.users["security"])
    auth_service.disable_user(db, estate.users["security"].id, actor=TEST_ACTOR)
    db.commit()
    assert anonymous.get(url).status_code == 404


def test_the_feed_token_is_not_an_api_token(client, anonymous, db, estate):
    url = feed_url(client, db, estate.users["admin"])
    token = url.split("token=", 1)[1]
    assert anonymous.get("/api/v1/reminders/upcoming", headers=bearer(token)).status_code == 401
