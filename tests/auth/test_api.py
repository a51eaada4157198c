"""Users, roles and tokens over the API, with the object-level rules a role table cannot express."""

from datetime import timedelta

from sqlalchemy import select

from app.audit.models import AuditEvent
from app.auth.models import ApiToken, User
from app.core.db import utcnow
from tests.factories import bearer, integration_payload, make_integration, make_token, make_user, make_vendor


def test_missing_wrong_expired_and_revoked_tokens_are_401(anonymous, db):
    user = make_user(db, role="auditor")
    good = make_token(db, user)
    expired = make_token(db, user, expires_in_days=1)
    token_row = db.execute(select(ApiToken).order_by(ApiToken.id.desc())).scalars().first()
    token_row.expires_at = utcnow() - timedelta(seconds=1)
    revoked = make_token(db, user)
    db.commit()
    assert anonymous.get("/api/v1/vendors", headers=bearer(good)).status_code == 200
    for headers in ({}, bearer("rr_not-a-real-token"), bearer(expired), {"Authorization": "Basic abc"}):
        response = anonymous.get("/api/v1/vendors", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["error"] == "NotAuthenticated"
    revoke = anonymous.post(f"/api/v1/tokens/{_token_id(db, revoked)}/revoke", headers=bearer(revoked))
    assert revoke.status_code == 200
    assert anonymous.get("/api/v1/vendors", headers=bearer(revoked)).status_code == 401
    assert "revoked" in anonymous.get("/api/v1/vendors", headers=bearer(revoked)).json()["detail"]


def _token_id(db, secret: str) -> int:
    from app.core.security import token_hash

    return db.execute(select(ApiToken.id).where(ApiToken.token_hash == token_hash(secret))).scalar_one()


def test_tokens_are_stored_only_as_hashes(client, db):
    response = client.post("/api/v1/tokens", json={"name": "laptop", "expires_in_days": 30})
    assert response.status_code == 201
    secret = response.json()["secret"]
    assert secret.startswith("rr_") and len(secret) >= 3 + 43  # 256 bits, base64url
    stored = db.execute(select(ApiToken).where(ApiToken.name == "laptop")).scalar_one()
    assert secret not in (stored.token_hash, stored.prefix)
    assert "secret" not in client.get("/api/v1/tokens").json()["items"][0]


def test_a_disabled_users_tokens_stop_working_at_once(client, anonymous, db):
    user = make_user(db, role="procurement")
    secret = make_token(db, user)
    db.commit()
    assert anonymous.get("/api/v1/me", headers=bearer(secret)).json()["email"] == user.email
    assert client.post(f"/api/v1/users/{user.id}/disable").status_code == 200
    assert anonymous.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_patch_that_sets_its_own_role_is_403_and_changes_nothing(client, db):
    me = client.get("/api/v1/me").json()
    response = client.patch(f"/api/v1/users/{me['id']}", json={"role": "auditor"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 403
    assert response.json()["error"] == "OwnRoleChange"
    db.expire_all()
    assert db.get(User, me["id"]).role == "admin"
    # and the self-service route has no role field at all
    assert client.patch("/api/v1/me", json={"role": "admin"}).status_code == 405


def test_an_admin_changes_another_users_role_and_it_is_audited(client, db):
    user = make_user(db, role="engineer")
    db.commit()
    response = client.patch(f"/api/v1/users/{user.id}", json={"role": "security"}, headers={"If-Match": '"v1"'})
    assert response.status_code == 200, response.text
    assert response.json()["role"] == "security"
    event = db.execute(
        select(AuditEvent).where(AuditEvent.action == "user.updated", AuditEvent.subject_id == str(user.id))
    ).scalar_one()
    assert event.changes["role"] == {"before": "engineer", "after": "security"}


def test_create_user_validates_and_refuses_duplicates(client):
    ok = client.post("/api/v1/users", json={"email": "New.Person@Example.com", "name": "New", "role": "legal",
                                            "password": "a long enough passphrase"})
    assert ok.status_code == 201
    assert ok.json()["email"] == "new.person@example.com"
    dup = client.post("/api/v1/users", json={"email": "new.person@example.com", "name": "Again", "role": "legal"})
    assert dup.status_code == 409
    short = client.post("/api/v1/users", json={"email": "x@example.com", "name": "X", "role": "legal",
                                               "password": "short"})
    assert short.status_code == 422
    bad_role = client.post("/api/v1/users", json={"email": "y@example.com", "name": "Y", "role": "root"})
    assert bad_role.status_code == 422 and "'admin'" in bad_role.json()["detail"]


def test_an_engineer_edits_only_their_own_requests(anonymous, db):
    engineer = make_user(db, role="engineer")
    other = make_user(db, role="engineer")
    mine_headers, other_headers = bearer(make_token(db, engineer)), bearer(make_token(db, other))
    vendor = make_vendor(db)
    db.commit()
    created = anonymous.post("/api/v1/integrations", json=integration_payload(vendor.id), headers=mine_headers)
    assert created.status_code == 201
    assert created.json()["requested_by_id"] == engineer.id
    path = f"/api/v1/integrations/{created.json()['id']}"
    refused = anonymous.patch(path, json={"purpose": "Hijacked"}, headers={**other_headers, "If-Match": '"v1"'})
    assert refused.status_code == 403
    assert refused.json()["error"] == "NotYourRequest"
    allowed = anonymous.patch(path, json={"purpose": "Mine to edit"}, headers={**mine_headers, "If-Match": '"v1"'})
    assert allowed.status_code == 200
    # someone else's (here: recorded by a system job) is refused too
    foreign = make_integration(db, vendor)
    db.commit()
    response = anonymous.patch(f"/api/v1/integrations/{foreign.id}", json={"purpose": "x"},
                               headers={**mine_headers, "If-Match": '"v1"'})
    assert response.status_code == 403


def test_an_auditor_reads_everything_and_changes_nothing(anonymous, auth_headers, db):
    vendor = make_vendor(db, name="Read Only")
    db.commit()
    headers = auth_headers("auditor")
    assert anonymous.get(f"/api/v1/vendors/{vendor.id}", headers=headers).status_code == 200
    assert anonymous.get("/api/v1/audit", headers=headers).status_code == 200
    patch = anonymous.patch(f"/api/v1/vendors/{vendor.id}", json={"name": "x"}, headers={**headers, "If-Match": '"v1"'})
    assert patch.status_code == 403
    db.expire_all()
    assert vendor.name == "Read Only"


def test_only_an_admin_revokes_someone_elses_token(anonymous, client, db):
    owner, intruder = make_user(db, role="legal"), make_user(db, role="security")
    secret = make_token(db, owner)
    intruder_headers = bearer(make_token(db, intruder))
    db.commit()
    token_id = _token_id(db, secret)
    assert anonymous.post(f"/api/v1/tokens/{token_id}/revoke", headers=intruder_headers).status_code == 403
    assert anonymous.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    assert client.post(f"/api/v1/tokens/{token_id}/revoke").status_code == 200
    assert anonymous.get("/api/v1/me", headers=bearer(secret)).status_code == 401


def test_a_list_request_with_a_token_runs_no_password_hashing(anonymous, auth_headers, monkeypatch):
    import app.core.security as security

    def forbidden(*_args, **_kwargs):
        raise AssertionError("argon2 ran during a token request")

    headers = auth_headers("auditor")
    monkeypatch.setattr(security, "_hasher", type("NoArgon2", (), {"verify": forbidden, "hash": forbidden})())
    assert anonymous.get("/api/v1/vendors", headers=headers).status_code == 200


def test_a_password_change_signs_out_web_sessions(client, db):
    from app.auth import service as auth_service

    user = make_user(db, role="legal", password="the first passphrase")
    signed_in = auth_service.sign_in(db, email=user.email, password="the first passphrase", max_failures=5,
                                     window_seconds=900, session_hours=1)
    db.commit()
    assert auth_service.user_for_session(db, signed_in.session_secret) is not None
    response = client.patch(f"/api/v1/users/{user.id}", json={"password": "a brand new passphrase"},
                            headers={"If-Match": '"v1"'})
    assert response.status_code == 200
    assert auth_service.user_for_session(db, signed_in.session_secret) is None


def test_nobody_disables_their_own_account(client, db):
    me = client.get("/api/v1/me").json()
    response = client.post(f"/api/v1/users/{me['id']}/disable")
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 200


def test_re_enabling_a_user_does_not_bring_their_old_tokens_back(client, anonymous, db):
    user = make_user(db, role="security")
    old = make_token(db, user)
    db.commit()
    assert client.post(f"/api/v1/users/{user.id}/disable").status_code == 200
    assert client.post(f"/api/v1/users/{user.id}/disable").status_code == 409
    enabled = client.post(f"/api/v1/users/{user.id}/enable")
    assert enabled.status_code == 200 and enabled.json()["active"] is True
    assert anonymous.get("/api/v1/me", headers=bearer(old)).status_code == 401
    fresh = client.post(f"/api/v1/users/{user.id}/tokens", json={"name": "after re-enable"}).json()["secret"]
    assert anonymous.get("/api/v1/me", headers=bearer(fresh)).status_code == 200
    assert client.post(f"/api/v1/users/{user.id}/enable").status_code == 409
    actions = [e["action"] for e in client.get("/api/v1/audit", params={"subject_type": "user",
                                                                        "subject_id": str(user.id), "sort": "seq"}).json()["items"]]
    assert actions == ["user.created", "user.disabled", "user.enabled"]
