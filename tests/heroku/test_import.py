"""Importing the estate: CLI files by content, the Platform API sync, all-or-nothing, idempotent, gone not deleted."""

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.core import migrations
from app.core.config import get_settings
from app.core.db import WRITE_LOCK, get_session, is_write, make_engine, open_session, transaction
from app.heroku import importer, jobs
from app.heroku.estate import Estate, PlanFacts, ServiceFacts, SpaceFacts
from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp, HerokuImport, HerokuSpace
from app.main import create_app
from tests.auth.test_cli import Cli, new_cli
from tests.conftest import ScratchDatabases
from tests.factories import TEST_ACTOR, bearer, make_token, make_user
from tests.heroku.estate_factory import make_estate
from tests.heroku.fake_api import FAKE_TOKEN, FakeHeroku

FIXTURES = Path(__file__).parent / "fixtures"


def post(client, name: str | None = None, *, content: bytes | None = None, complete: bool = False, headers=None):
    data = content if content is not None else (FIXTURES / name).read_bytes()  # type: ignore[operator]
    return client.post("/api/v1/heroku/imports", files={"file": (name or "export.json", data, "application/json")},
                       data={"complete": str(complete).lower()}, headers=headers)


def counts(db) -> dict[str, int]:
    return {model.__tablename__: db.scalar(select(func.count()).select_from(model))  # type: ignore[attr-defined]
            for model in (HerokuApp, AddonService, AddonPlan, AddonInstallation, HerokuImport)}


def test_an_addons_export_builds_the_estate_and_lists_every_add_on_as_shadow(client, db):
    response = post(client, "addons-all.json")
    assert response.status_code == 201, response.text
    report = response.json()
    assert report["source"] == "addons"
    assert report["created"]["addons"] == db.scalar(select(func.count()).select_from(AddonInstallation)) > 30
    assert report["created"]["apps"] >= 10 and report["created"]["services"] == 10
    assert any(s["what"].startswith("add-on") for s in report["skipped"]) or report["skipped"] == []
    addons = client.get("/api/v1/heroku/addons", params={"limit": 500}).json()
    assert addons["total"] == report["created"]["addons"]
    shadow = client.get("/api/v1/heroku/addons", params={"status": "shadow", "limit": 500}).json()
    deprovisioned = [a for a in addons["items"] if a["state"] == "deprovisioned"]
    assert deprovisioned and shadow["total"] == addons["total"]  # nothing approved yet: all shadow
    assert {a["state"] for a in addons["items"]} >= {"provisioned", "suspended"}  # unknown states kept
    postgres = next(a for a in addons["items"] if a["service"] == "heroku-postgresql")
    vendors = {v["id"]: v["legal_name"] for v in client.get("/api/v1/vendors", params={"limit": 100}).json()["items"]}
    assert vendors[postgres["vendor_id"]] == "Salesforce, Inc."


def test_the_same_import_twice_changes_nothing(client, db):
    first = post(client, "addons-all.json").json()
    before = counts(db)
    second = post(client, "addons-all.json").json()
    assert second["created"] == {k: 0 for k in second["created"]}
    assert second["updated"] == {k: 0 for k in second["updated"]}
    assert second["gone"] == second["returned"] == 0
    assert second["unchanged_addons"] == first["created"]["addons"]
    after = counts(db)
    assert after == before | {"heroku_import": before["heroku_import"] + 1}


def test_apps_info_gives_shield_status_and_plans_give_compliance(client):
    post(client, "apps-info-shield.json")
    post(client, "plans-heroku-postgresql.json")
    apps = {a["name"]: a for a in client.get("/api/v1/heroku/apps").json()["items"]}
    shield_app = next(a for a in apps.values() if a["shield"])
    assert shield_app["space_known"] and shield_app["space"]
    plans = {p["name"]: p for p in client.get("/api/v1/heroku/plans", params={"service": "heroku-postgresql"}).json()[
        "items"]}
    assert plans["heroku-postgresql:shield-0"]["compliance"] == ["HIPAA", "PCI"]
    assert plans["heroku-postgresql:shield-0"]["installable_inside_private_network"] is True
    assert any(p["compliance"] is None for p in plans.values()) and any(p["compliance"] == [] for p in plans.values())
    request = client.post("/api/v1/addon-requests", json={
        "app": shield_app["name"], "plan": "heroku-postgresql:essential-0", "data_categories": ["phi"],
        "purpose": "Patient records", "transfer_countries": []})
    body = request.json()
    assert body["verdict"] == "blocked"
    failed = {g["id"] for g in body["gates"] if g["status"] == "failed"}
    assert {"policy.heroku.private_network", "policy.heroku.shield_plan", "policy.heroku.hipaa_plan"} <= failed


def test_a_truncated_file_changes_nothing_and_says_where_it_broke(client, db):
    post(client, "addons-app.json")
    before = counts(db)
    whole = (FIXTURES / "addons-all.json").read_bytes()
    response = post(client, content=whole[: len(whole) // 2])
    assert response.status_code == 422
    assert "nothing changed" in response.json()["detail"] and "line" in response.json()["detail"]
    assert counts(db) == before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"hello": "world"}', "apps:info"),
        (b"[1, 2, 3]", "nothing changed"),
        (b"", "nothing changed"),
        (b"\xff\xfe\x00garbage", "nothing changed"),
    ],
)
def test_files_that_are_not_heroku_exports_are_refused(client, db, content, fragment):
    before = counts(db)
    response = post(client, content=content)
    assert response.status_code == 422 and fragment in response.json()["detail"]
    assert counts(db) == before


def test_a_removed_add_on_is_marked_gone_not_deleted_and_comes_back(client, db):
    addons = json.loads((FIXTURES / "addons-app.json").read_bytes())
    own = [a for a in addons if a.get("app", {}).get("name") == "acme-api"]
    post(client, content=json.dumps(addons).encode())
    removed = own[0]
    fewer = [a for a in addons if a is not removed]
    report = post(client, content=json.dumps(fewer).encode()).json()
    assert report["gone"] == 1
    row = db.scalars(select(AddonInstallation).where(AddonInstallation.heroku_id == removed["id"])).one()
    assert row.gone_at is not None
    gone = client.get("/api/v1/heroku/addons", params={"status": "gone"}).json()["items"]
    assert [a["heroku_id"] for a in gone] == [removed["id"]]
    back = post(client, content=json.dumps(addons).encode()).json()
    assert back["returned"] == 1 and back["gone"] == 0
    db.refresh(row)
    assert row.gone_at is None


def test_complete_refuses_a_file_with_unreadable_add_ons(client, db):
    addons = json.loads((FIXTURES / "addons-all.json").read_bytes())
    damaged = [*addons, {"name": "broken-addon", "app": "not an object"}]
    before = counts(db)
    refused = post(client, content=json.dumps(damaged).encode(), complete=True)
    assert refused.status_code == 422 and "without --complete" in refused.json()["detail"]
    assert counts(db) == before
    partial = post(client, content=json.dumps(damaged).encode()).json()
    assert partial["created"]["addons"] == len(addons) and [s["what"][:6] for s in partial["skipped"]] == ["add-on"]


def test_a_complete_file_marks_add_ons_of_apps_it_does_not_mention_gone(client, db):
    post(client, "addons-all.json")
    report = post(client, "addons-app.json", complete=True).json()
    assert report["gone"] > 0
    other_apps = client.get("/api/v1/heroku/addons", params={"status": "gone", "limit": 500}).json()["items"]
    assert other_apps and all(a["gone_at"] for a in other_apps)
    listed = {a["id"] for a in json.loads((FIXTURES / "addons-app.json").read_bytes())}
    assert report["gone"] == len(other_apps) and listed.isdisjoint(a["heroku_id"] for a in other_apps)


@pytest.fixture
def heroku_api(monkeypatch):
    """The fake Platform API with a few hundred add-ons over three pages, and the app pointed at it."""
    with FakeHeroku(make_estate(apps=40, addons=320), page_size=150) as api:
        monkeypatch.setenv("HEROKU_API_TOKEN", FAKE_TOKEN)
        monkeypatch.setenv("RISKREG_HEROKU_API_URL", api.url)
        monkeypatch.delenv("HTTPS_PROXY", raising=False)
        monkeypatch.delenv("HTTP_PROXY", raising=False)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        get_settings.cache_clear()
        yield api
    get_settings.cache_clear()


def test_a_sync_reads_every_page_backs_off_on_429_and_marks_what_disappeared(client, db, heroku_api):
    heroku_api.rate_limit(2)
    response = client.post("/api/v1/heroku/sync")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["source"] == "api"
    assert report["created"]["addons"] == len(heroku_api.estate.addons) == 320
    assert any(r.status == 429 for r in heroku_api.requests) and any(r.status == 206 for r in heroku_api.requests)
    shield_apps = [a for a in client.get("/api/v1/heroku/apps").json()["items"] if a["shield"]]
    assert shield_apps and all(a["space"] for a in shield_apps)

    removed = heroku_api.remove_addon(heroku_api.estate.addons[0]["id"])
    again = client.post("/api/v1/heroku/sync").json()
    assert again["gone"] == 1 and again["created"]["addons"] == 0
    assert db.scalars(select(AddonInstallation.gone_at).where(AddonInstallation.heroku_id == removed["id"])).one()


def test_a_sync_without_a_token_says_how_to_get_one(client, monkeypatch):
    monkeypatch.delenv("HEROKU_API_TOKEN", raising=False)
    get_settings.cache_clear()
    response = client.post("/api/v1/heroku/sync")
    get_settings.cache_clear()
    assert response.status_code == 409 and "heroku authorizations:create" in response.json()["detail"]


def test_a_refused_token_is_reported_without_the_token(client, heroku_api, monkeypatch):
    monkeypatch.setenv("HEROKU_API_TOKEN", "wrong-token-do-not-echo")
    get_settings.cache_clear()
    response = client.post("/api/v1/heroku/sync")
    assert 400 <= response.status_code < 600 and response.status_code != 500
    assert "wrong-token-do-not-echo" not in response.text and "HEROKU_API_TOKEN" in response.json()["detail"]


@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def test_the_cli_imports_a_file_and_a_bad_one_exits_1_without_a_traceback(cli: Cli, tmp_path: Path) -> None:
    result = cli("heroku", "import", str(FIXTURES / "addons-all.json"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("addons: created") and "vendor created" not in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_bytes((FIXTURES / "addons-all.json").read_bytes()[:500])
    failed = cli("heroku", "import", str(broken))
    assert failed.returncode == 1 and "nothing changed" in failed.stderr and "Traceback" not in failed.stderr
    missing = cli("heroku", "import", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "cannot read" in missing.stderr
    with cli.session() as session:
        assert session.scalar(select(func.count()).select_from(HerokuImport)) == 1


# --- "complete" only for a whole add-on list; an empty estate never marks everything gone ------------

def installed(client) -> int:
    return client.get("/api/v1/heroku/addons", params={"limit": 1}).json()["total"] - gone(client)


def gone(client) -> int:
    return client.get("/api/v1/heroku/addons", params={"status": "gone", "limit": 1}).json()["total"]


@pytest.mark.parametrize("name", ["plans-heroku-postgresql.json", "apps-info-common.json"])
def test_complete_is_refused_for_a_file_that_is_not_an_add_on_list(client, db, name):
    post(client, "addons-all.json")
    before = counts(db)
    refused = post(client, name, complete=True)
    assert refused.status_code == 422, refused.text
    assert "not an add-on list" in refused.json()["detail"] and "without --complete" in refused.json()["detail"]
    assert counts(db) == before and gone(client) == 0
    assert post(client, name).status_code == 201  # the same file, not as the complete estate, is fine


def test_an_empty_complete_file_marks_nothing_gone_and_says_how_to_proceed(client, db):
    post(client, "addons-all.json")
    before, live = counts(db), installed(client)
    refused = post(client, content=b"[]", complete=True)
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert f"{live} add-on(s)" in detail and "heroku teams" in detail and "heroku apps:info --app APP --json" in detail
    assert counts(db) == before and gone(client) == 0


def test_an_app_listed_with_no_add_ons_marks_its_own_gone(client):
    """The way out the refusal names: one app at a time."""
    post(client, "addons-all.json")
    info = json.loads((FIXTURES / "apps-info-common.json").read_bytes())
    app = info["app"]["name"]
    on_app = client.get("/api/v1/heroku/addons", params={"app": app, "limit": 500}).json()["total"]
    report = post(client, content=json.dumps({**info, "addons": []}).encode())
    assert report.status_code == 201 and report.json()["gone"] == on_app > 0


def test_an_empty_first_import_or_sync_is_fine(client):
    assert post(client, content=b"[]", complete=True).status_code == 201


def test_a_sync_that_sees_no_add_ons_marks_nothing_gone(client, db, heroku_api):
    assert client.post("/api/v1/heroku/sync").status_code == 200
    before = counts(db)
    # The token's account was removed from the team: the API answers, with nothing in it.
    heroku_api.estate.apps, heroku_api.estate.addons, heroku_api.estate.attachments = [], [], []
    refused = client.post("/api/v1/heroku/sync")
    assert refused.status_code == 409, refused.text
    assert "320 add-on(s)" in refused.json()["detail"] and "heroku teams" in refused.json()["detail"]
    assert counts(db) == before and gone(client) == 0


# --- a sync reads Heroku with no write transaction open --------------------------------------------

def writer_can_start(engine) -> bool:
    """Whether another writer could begin now, or would queue behind a held write lock."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            return bool(connection.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": WRITE_LOCK}).scalar())
    connection = sqlite3.connect(engine.url.database, timeout=0.1, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


@pytest.fixture
def live(scratch, monkeypatch):
    """(client, engine): the app on a fresh migrated database, each request in its own real transaction
    opened as production opens it, and Heroku's answer recorded with whether writers were free meanwhile."""
    engine = make_engine(scratch.new_url())
    with engine.begin() as connection:
        migrations.upgrade(connection)
    with Session(engine) as session:
        headers = bearer(make_token(session, make_user(session, role="admin")))
        session.commit()
    application = create_app(load_questionnaires=False)

    def request_session(request: Request) -> Iterator[Session]:
        with open_session(write=is_write(request), engine=engine) as session:
            yield from transaction(session)

    application.dependency_overrides[get_session] = request_session
    raw = make_estate(apps=4, addons=12)
    fetches: list[bool] = []

    def fetch(_client):
        fetches.append(writer_can_start(engine))
        return raw.api_lists()

    monkeypatch.setattr("app.heroku.client.fetch_estate", fetch)
    monkeypatch.setenv("HEROKU_API_TOKEN", FAKE_TOKEN)
    get_settings.cache_clear()
    with TestClient(application, raise_server_exceptions=False, headers=headers) as client:
        yield client, engine, fetches
    get_settings.cache_clear()
    engine.dispose()


def test_other_writers_are_not_locked_out_while_a_sync_reads_heroku(live):
    client, _engine, fetches = live
    response = client.post("/api/v1/heroku/sync")
    assert response.status_code == 200, response.text
    assert response.json()["created"]["addons"] == 12
    assert fetches == [True]


def test_the_sync_job_commits_before_it_reads_heroku(live):
    _client, engine, fetches = live
    with open_session(write=True, engine=engine) as session:
        session.execute(select(HerokuImport.id)).all()  # a write transaction is open, as the CLI's may be
        report = jobs.sync(session, actor=TEST_ACTOR)
        session.commit()
    assert fetches == [True] and report.created["addons"] == 12


# --- Heroku ids, not names, identify what was seen before --------------------------------------------

def addon(heroku_id: str, app_id: str, app_name: str) -> dict:
    return {"id": heroku_id, "name": f"papertrail-{heroku_id}", "app": {"id": app_id, "name": app_name},
            "addon_service": {"id": "svc-pt", "name": "papertrail"},
            "plan": {"id": "plan-pt-choklad", "name": "papertrail:choklad"}, "state": "provisioned"}


def apps_by_heroku_id(db) -> dict[str, str]:
    db.expire_all()
    return {a.heroku_id: a.name for a in db.scalars(select(HerokuApp))}


def test_an_app_renamed_and_another_taking_its_old_name_is_imported(client, db):
    first = post(client, content=json.dumps([addon("ad-1", "app-1", "acme-web"), addon("ad-2", "app-2", "acme-api")])
                 .encode())
    assert first.status_code == 201
    # acme-web became acme-web-legacy, and a new app was created as acme-web; acme-api and acme-web swap too.
    renamed = post(client, content=json.dumps([
        addon("ad-3", "app-3", "acme-web"), addon("ad-1", "app-1", "acme-web-legacy"),
    ]).encode())
    assert renamed.status_code == 201, renamed.text
    assert renamed.json()["created"]["apps"] == 1 and renamed.json()["updated"]["apps"] == 1
    assert apps_by_heroku_id(db) == {"app-1": "acme-web-legacy", "app-2": "acme-api", "app-3": "acme-web"}
    swapped = post(client, content=json.dumps([addon("ad-1", "app-1", "acme-api"), addon("ad-2", "app-2",
                                                                                         "acme-web-legacy")]).encode())
    assert swapped.status_code == 201, swapped.text
    assert apps_by_heroku_id(db) == {"app-1": "acme-api", "app-2": "acme-web-legacy", "app-3": "acme-web"}
    listed = {a["name"]: a["app"] for a in client.get("/api/v1/heroku/addons").json()["items"]}
    assert listed["papertrail-ad-1"] == "acme-api" and listed["papertrail-ad-2"] == "acme-web-legacy"
    # A file that names a new owner of "acme-api" but not app-1: app-1 is set aside until an import names it.
    taken = post(client, content=json.dumps([addon("ad-4", "app-4", "acme-api")]).encode())
    assert taken.status_code == 201, taken.text
    assert apps_by_heroku_id(db) == {"app-1": "acme-api~app-1", "app-2": "acme-web-legacy", "app-3": "acme-web",
                                     "app-4": "acme-api"}


def test_renamed_spaces_services_and_plans_are_updated_not_duplicated(db):
    def estate(space: str, service: str, plan: str) -> Estate:
        e = Estate(source="api")
        e.spaces = {space: SpaceFacts(space, heroku_id="sp-1", shield=True)}
        e.services = {service: ServiceFacts(service, heroku_id="svc-1")}
        e.plans = {plan: PlanFacts(plan, heroku_id="plan-1", compliance=("HIPAA",))}
        return e

    importer.apply_estate(db, estate("acme-shield", "heroku-redis", "heroku-redis:mini"), actor=TEST_ACTOR)
    report = importer.apply_estate(db, estate("acme-shield-eu", "heroku-key-value-store", "heroku-key-value-store:mini"),
                                   actor=TEST_ACTOR)
    assert report.created == {k: 0 for k in report.created}
    assert report.updated["spaces"] == 1 and report.updated["plans"] == 1
    assert db.scalars(select(HerokuSpace.name)).all() == ["acme-shield-eu"]
    assert db.scalars(select(AddonService.name)).all() == ["heroku-key-value-store"]
    assert db.scalars(select(AddonPlan.name)).all() == ["heroku-key-value-store:mini"]


# --- size ---------------------------------------------------------------------------------------------

def test_a_file_over_32_mib_is_refused_with_413(client, db):
    assert jobs.MAX_IMPORT_BYTES == 32 * 1024 * 1024
    before = counts(db)
    response = post(client, content=b" " * (jobs.MAX_IMPORT_BYTES + 1))
    assert response.status_code == 413, response.text
    assert "heroku addons --app APP --json" in response.json()["detail"]
    assert counts(db) == before
