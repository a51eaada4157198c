"""Importing the estate: CLI files by content, the Platform API sync, all-or-nothing, idempotent, gone not deleted."""

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.core.config import get_settings
from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp, HerokuImport
from tests.auth.test_cli import Cli, new_cli
from tests.conftest import ScratchDatabases
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
    post(client, "addons-app.json")
    report = post(client, "apps-info-common.json", complete=True).json()
    assert report["gone"] > 0
    other_apps = client.get("/api/v1/heroku/addons", params={"status": "gone", "limit": 500}).json()["items"]
    assert other_apps and all(a["gone_at"] for a in other_apps)


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
