"""Web sign-in: the login form, the session cookie, throttling, sign-out and disabled accounts."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select

from app.audit.models import AuditEvent
from app.auth import service as auth_service
from app.auth.models import WebSession
from app.core.config import Settings, get_settings
from tests.conftest import bind_to
from tests.factories import TEST_ACTOR, make_user
from tests.web.helpers import PASSWORD, cookie_flags, csrf_of, post_login, set_cookie

WRONG = "E-mail or password is wrong."


@pytest.fixture
def user(db):
    user = make_user(db, role="security", password=PASSWORD)
    db.commit()
    return user


def events(db, action: str, subject_id: str | None = None) -> list[AuditEvent]:
    stmt = select(AuditEvent).where(AuditEvent.action == action)
    if subject_id is not None:
        stmt = stmt.where(AuditEvent.subject_id == subject_id)
    return list(db.execute(stmt.order_by(AuditEvent.seq)).scalars())


def session_count(db, user_id: int | None = None) -> int:
    stmt = select(func.count()).select_from(WebSession)
    if user_id is not None:
        stmt = stmt.where(WebSession.user_id == user_id)
    return db.execute(stmt).scalar_one()


def test_the_login_page_is_a_form_with_a_csrf_field(anonymous):
    response = anonymous.get("/login")
    assert response.status_code == 200
    assert response.template.name == "auth/login.html"
    assert 'name="email"' in response.text and 'name="password"' in response.text
    assert csrf_of(response)
    assert cookie_flags(set_cookie(response, "riskreg_csrf")) >= {"httponly", "samesite=lax", "path=/"}
    assert response.headers["Cache-Control"] == "no-store"
    assert "<script" not in response.text


def test_the_right_password_signs_in_with_a_session_cookie(anonymous, db, user):
    response = post_login(anonymous, user.email)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    flags = cookie_flags(set_cookie(response, "riskreg_session"))
    assert {"httponly", "samesite=lax", "path=/", "max-age=43200"} <= flags
    assert "secure" not in flags  # local development over plain http
    assert session_count(db, user.id) == 1
    assert [e.actor for e in events(db, "auth.signed_in", user.email)] == [user.email]

    home = anonymous.get("/")
    assert home.status_code == 200
    assert f"Signed in as <strong>{user.email}</strong> (security)" in home.text


def test_the_email_is_matched_without_regard_to_case_or_spaces(anonymous, user):
    assert post_login(anonymous, f"  {user.email.upper()} ").status_code == 303


@pytest.fixture
def production(connection, monkeypatch) -> Iterator[TestClient]:
    """The app as configured for production, over https (a `Secure` cookie is sent only there)."""
    settings = Settings(env="production", secret_key=SecretStr("p" * 48), DATABASE_URL="postgresql://unused/riskreg")
    monkeypatch.setattr("app.main.get_settings", lambda: settings)
    from app.main import create_app

    application = bind_to(create_app(load_questionnaires=False), connection)
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application, base_url="https://riskreg.example.com", raise_server_exceptions=False) as client:
        yield client


def test_cookies_are_secure_and_hsts_is_sent_in_production(production, user):
    page = production.get("/login")
    assert "secure" in cookie_flags(set_cookie(page, "riskreg_csrf"))
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

    response = post_login(production, user.email, headers={"Origin": "https://riskreg.example.com"})
    assert response.status_code == 303
    assert {"secure", "httponly", "samesite=lax"} <= cookie_flags(set_cookie(response, "riskreg_session"))
    assert "Signed in as" in production.get("/").text


def test_a_wrong_password_is_401_and_recorded(anonymous, db, user):
    response = post_login(anonymous, user.email, "not the password at all")
    assert response.status_code == 401
    assert response.template.name == "auth/login.html"
    assert WRONG in response.text
    assert csrf_of(response)  # the form can be sent again
    assert "riskreg_session" not in response.headers.get("set-cookie", "")
    assert len(events(db, "auth.sign_in_failed", user.email)) == 1
    assert session_count(db, user.id) == 0


def test_an_unknown_account_gets_the_same_answer(anonymous, db):
    response = post_login(anonymous, "nobody@riskreg.test")
    assert response.status_code == 401
    assert WRONG in response.text
    assert len(events(db, "auth.sign_in_failed", "nobody@riskreg.test")) == 1


def test_empty_fields_are_refused_without_a_record(anonymous, db):
    response = post_login(anonymous, "", "")
    assert response.status_code == 422
    assert "Enter your e-mail address and password." in response.text
    assert events(db, "auth.sign_in_failed") == []


def test_an_over_long_email_is_refused_like_a_wrong_password(anonymous, db):
    response = post_login(anonymous, "a" * 300 + "@riskreg.test")
    assert response.status_code == 401
    assert WRONG in response.text
    assert events(db, "auth.sign_in_failed") == []


def test_repeated_failures_are_throttled_even_for_the_right_password(anonymous, db, user):
    for _ in range(5):
        assert post_login(anonymous, user.email, "wrong password guess").status_code == 401
    throttled = post_login(anonymous, user.email, "wrong password guess")
    assert throttled.status_code == 429
    assert 0 < int(throttled.headers["Retry-After"]) <= 900
    assert "Too many failed sign-ins for this account. Try again in 15 minutes." in throttled.text

    right = post_login(anonymous, user.email, PASSWORD)
    assert right.status_code == 429
    assert "Retry-After" in right.headers
    assert "riskreg_session" not in right.headers.get("set-cookie", "")
    assert session_count(db, user.id) == 0
    assert anonymous.get("/", follow_redirects=False).status_code == 303


def test_home_redirects_to_the_login_page_when_signed_out(anonymous):
    response = anonymous.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"


def test_a_forged_session_cookie_is_cleared(anonymous):
    anonymous.cookies.set("riskreg_session", "rr_not-a-real-session")
    response = anonymous.get("/", follow_redirects=False)
    assert response.status_code == 303
    assert "max-age=0" in cookie_flags(set_cookie(response, "riskreg_session"))


def test_the_login_page_sends_a_signed_in_user_home(anonymous, user):
    post_login(anonymous, user.email)
    response = anonymous.get("/login", follow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_sign_out_revokes_the_session(anonymous, db, user):
    post_login(anonymous, user.email)
    old_secret = anonymous.cookies["riskreg_session"]
    home = anonymous.get("/")
    assert 'action="/logout"' in home.text

    response = anonymous.post("/logout", data={"csrf_token": csrf_of(home)}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/login"
    assert "max-age=0" in cookie_flags(set_cookie(response, "riskreg_session"))
    assert len(events(db, "auth.signed_out", user.email)) == 1
    revoked = db.execute(select(WebSession.revoked_at).where(WebSession.user_id == user.id)).scalar_one()
    assert revoked is not None

    anonymous.cookies.set("riskreg_session", old_secret)
    again = anonymous.get("/", follow_redirects=False)
    assert again.status_code == 303 and again.headers["Location"] == "/login"


def test_a_disabled_users_session_stops_working_at_once(anonymous, db, user):
    post_login(anonymous, user.email)
    assert anonymous.get("/").status_code == 200

    auth_service.disable_user(db, user.id, actor=TEST_ACTOR)
    db.commit()

    response = anonymous.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["Location"] == "/login"
    assert post_login(anonymous, user.email).status_code == 401  # and it cannot sign in again


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("<script>alert(1)</script>", 'value="&lt;script&gt;alert(1)&lt;/script&gt;"'),
        ('"><img src=x onerror=alert(1)>', 'value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"'),
        ("{{7*7}}", 'value="{{7*7}}"'),
    ],
)
def test_a_hostile_email_is_shown_literally(anonymous, hostile, shown):
    response = post_login(anonymous, hostile)
    assert response.status_code == 401
    assert WRONG in response.text
    assert shown in response.text
    assert "<script>alert" not in response.text and "<img" not in response.text


@pytest.mark.parametrize("email", ["a\x00b@x.test", "\u0130" + "a" * 253 + "@x"])
def test_hostile_emails_are_refused_like_a_wrong_password(anonymous, email):
    page = anonymous.get("/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = anonymous.post("/login", data={"email": email, "password": "whatever-long-enough",
                                              "csrf_token": token})
    assert response.status_code in (401, 422), response.text
