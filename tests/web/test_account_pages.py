"""The account page: API tokens created (secret shown once) and revoked, the calendar feed URL, and the
calendar section only for roles that read reminders."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from app.auth.models import ApiToken, Role
from app.auth.permissions import ROLE_PERMISSIONS, Permission
from tests.factories import bearer, make_token, make_user, make_vendor
from tests.reminders.register import make_document
from tests.web.helpers import PASSWORD, csrf_of, post_login


@pytest.fixture
def engineer(db, anonymous):
    user = make_user(db, role="engineer", password=PASSWORD)
    db.commit()
    assert post_login(anonymous, user.email).status_code == 303
    return user


def tokens_of(db, user) -> list[ApiToken]:
    db.expire_all()
    return list(db.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars())


def test_the_page_shows_who_you_are_what_your_role_may_do_and_what_falls_due(db, anonymous, engineer):
    vendor = make_vendor(db, name="Acme")
    dpa = make_document(db, vendor.id, uploaded_by=engineer, title="Acme DPA", expires_on=date.today() + timedelta(days=30))
    db.commit()

    page = anonymous.get("/account")

    assert page.status_code == 200 and page.template.name == "account/page.html"
    assert engineer.email in page.text and engineer.name in page.text
    assert "Request approval to attach a Heroku add-on plan to an app" in page.context["permissions"]
    assert "Read and verify the audit trail" not in page.context["permissions"]
    assert page.context["subscriber"] and 'id="calendar"' in page.text
    assert [(item.title, when) for item, when in page.context["due"]] == [("Acme DPA (Acme) expires", "in 30 days")]
    assert f'<a href="/documents/{dpa.id}">Acme DPA (Acme) expires</a>' in page.text


def test_a_new_token_is_shown_once_and_works_as_a_bearer(db, anonymous, engineer):
    form = anonymous.get("/account")

    created = anonymous.post("/account/tokens", data={"name": "ci-export", "expires_in_days": "30",
                                                      "csrf_token": csrf_of(form)})

    assert created.status_code == 201 and created.template.name == "account/page.html"
    secret = created.context["issued"]["secret"]
    assert f'class="secret secret-field" type="text" value="{secret}"' in created.text
    assert secret not in created.headers.get("set-cookie", "") and secret not in str(created.url)
    [token] = tokens_of(db, engineer)
    assert (token.name, token.prefix, token.revoked_at) == ("ci-export", secret[:10], None)
    assert token.expires_at is not None
    me = anonymous.get("/api/v1/me", headers=bearer(secret))
    assert me.status_code == 200 and me.json()["email"] == engineer.email

    again = anonymous.get("/account")
    assert secret not in again.text and again.context["issued"] is None
    assert [(t.name, t.status) for t in again.context["tokens"]] == [("ci-export", "active")]


def test_a_refused_token_form_keeps_the_values_and_stores_nothing(db, anonymous, engineer):
    csrf = csrf_of(anonymous.get("/account"))
    for name, days, field in [("  ", "", "name"), ("x" * 101, "", "name"), ("ok", "0", "expires_in_days"),
                              ("ok", "ninety", "expires_in_days")]:
        refused = anonymous.post("/account/tokens", data={"name": name, "expires_in_days": days, "csrf_token": csrf})

        assert refused.status_code == 422 and set(refused.context["errors"]) == {field}, (name, days)
        assert f'aria-describedby="{field}-help {field}-error"' in refused.text
        assert refused.context["form"]["expires_in_days"] == days
    assert tokens_of(db, engineer) == []


def test_revoking_your_token_stops_it_and_someone_elses_is_not_found(db, anonymous, engineer):
    mine = make_token(db, engineer, name="mine")
    other = make_user(db, role="security")
    theirs = make_token(db, other, name="theirs")
    db.commit()
    [my_row], [their_row] = tokens_of(db, engineer), tokens_of(db, other)
    csrf = csrf_of(anonymous.get("/account"))

    response = anonymous.post(f"/account/tokens/{my_row.id}/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/account"
    assert anonymous.get("/api/v1/me", headers=bearer(mine)).status_code == 401
    page = anonymous.get("/account")
    assert "is revoked" in page.text and [t.status for t in page.context["tokens"]] == ["revoked"]

    refused = anonymous.post(f"/account/tokens/{their_row.id}/revoke", data={"csrf_token": csrf})
    assert refused.status_code == 404 and refused.headers["content-type"].startswith("text/html")
    assert tokens_of(db, other)[0].revoked_at is None
    assert anonymous.get("/api/v1/me", headers=bearer(theirs)).status_code == 200


def test_the_calendar_feed_url_is_shown_once_works_and_can_be_revoked(db, anonymous, engineer):
    csrf = csrf_of(anonymous.get("/account"))

    created = anonymous.post("/account/calendar-token", data={"csrf_token": csrf})

    assert created.status_code == 201
    url = created.context["feed_url"]
    assert url.startswith("http://testserver/calendar.ics?token=rrcal_") and url in created.text
    assert created.context["feed_webcal"] == "webcal://" + url.removeprefix("http://")
    parts = urlsplit(url)
    feed = anonymous.get(f"{parts.path}?{parts.query}")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    page = anonymous.get("/account")
    assert url not in page.text and "Replace the calendar feed URL" in page.text

    revoked = anonymous.post("/account/calendar-token/revoke", data={"csrf_token": csrf}, follow_redirects=False)
    assert revoked.status_code == 303
    assert anonymous.get(f"{parts.path}?{parts.query}").status_code == 404
    assert "Create a calendar feed URL" in anonymous.get("/account").text


def test_a_role_without_reminders_sees_no_calendar_section(anonymous, engineer, monkeypatch):
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.engineer, ROLE_PERMISSIONS[Role.engineer] - {Permission.reminder_read})

    page = anonymous.get("/account")

    assert page.status_code == 200 and not page.context["subscriber"]
    assert 'id="calendar"' not in page.text and 'id="due"' not in page.text
    assert anonymous.post("/account/calendar-token", data={"csrf_token": csrf_of(page)}).status_code == 403
