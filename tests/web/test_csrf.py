"""CSRF on forms: a signed double-submit token and an Origin / Sec-Fetch-Site check. A refusal changes nothing."""

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth.models import WebSession
from tests.factories import make_user
from tests.web.helpers import PASSWORD, csrf_of, post_login

REFUSED = "This form could not be accepted"


@pytest.fixture
def user(db):
    user = make_user(db, role="engineer", password=PASSWORD)
    db.commit()
    return user


def stored(db) -> tuple[int, int]:
    """(audit events, web sessions): a refused form must leave both unchanged."""
    return (
        db.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
        db.execute(select(func.count()).select_from(WebSession)).scalar_one(),
    )


def test_a_cross_site_form_post_without_a_token_is_refused(anonymous, db, user):
    before = stored(db)
    response = anonymous.post(
        "/login",
        data={"email": user.email, "password": PASSWORD},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert response.template.name == "errors/csrf.html"
    assert REFUSED in response.text and "nothing was changed" in response.text
    assert "riskreg_session" not in response.headers.get("set-cookie", "")
    assert stored(db) == before


def test_a_post_without_a_token_is_refused_even_from_this_site(anonymous, db, user):
    anonymous.get("/login")  # the browser has the cookie, but the form lacks the field
    before = stored(db)
    response = anonymous.post("/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "expired" in response.text
    assert stored(db) == before


def test_a_token_without_its_cookie_is_refused(anonymous, db, user):
    token = csrf_of(anonymous.get("/login"))
    anonymous.cookies.clear()
    response = anonymous.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token},
                              follow_redirects=False)
    assert response.status_code == 403


def test_a_token_for_another_cookie_is_refused(anonymous, app, db, user):
    from fastapi.testclient import TestClient

    with TestClient(app) as attacker:
        their_token = csrf_of(attacker.get("/login"))
    anonymous.get("/login")
    response = anonymous.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": their_token}, follow_redirects=False
    )
    assert response.status_code == 403


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://testserver"},  # another scheme is another origin
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
    ],
)
def test_a_valid_token_from_another_site_is_refused(anonymous, db, user, headers):
    before = stored(db)
    response = post_login(anonymous, user.email, headers=headers)
    assert response.status_code == 403
    assert "another site" in response.text
    assert stored(db) == before


def test_the_same_origin_headers_a_browser_sends_are_accepted(anonymous, user):
    response = post_login(anonymous, user.email, headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303


def test_origin_null_from_a_no_referrer_page_of_this_site_is_accepted(anonymous, user):
    # What Chromium sends from the vendor's invite form, which is served with Referrer-Policy: no-referrer.
    response = post_login(anonymous, user.email, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 303


def test_sign_out_without_a_token_keeps_the_session(anonymous, user):
    post_login(anonymous, user.email)
    response = anonymous.post("/logout", data={}, follow_redirects=False)
    assert response.status_code == 403
    assert "Signed in as" in anonymous.get("/").text


def test_sign_in_gives_a_new_csrf_cookie(anonymous, user):
    before = anonymous.get("/login")
    old_token = csrf_of(before)
    post_login(anonymous, user.email)
    home = anonymous.get("/")
    assert csrf_of(home) != old_token
    # the token from before sign-in no longer passes
    response = anonymous.post("/logout", data={"csrf_token": old_token}, follow_redirects=False)
    assert response.status_code == 403
