"""The Platform API client against the local fake API (a real HTTP server), and the fixtures' shapes."""

import copy
import json
import math
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import __version__
from app.core.config import Settings
from app.core.errors import DomainError
from app.heroku.client import (
    HerokuApiError,
    HerokuClient,
    HerokuNotConfigured,
    HerokuNotFound,
    HerokuPlanNotFound,
    HerokuRateLimited,
    HerokuTokenRefused,
    HerokuUnavailable,
    client_from_settings,
    distinct_plan_lookups,
    fetch_estate,
)
from tests.heroku import fake_api
from tests.heroku.estate_factory import UNKNOWN_STATES, make_estate
from tests.heroku.fake_api import FAKE_TOKEN, FakeHeroku

fake_heroku = fake_api.fake_heroku  # the fixture (tests/heroku/conftest.py may import it too)

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_CANDIDATES = (
    ROOT / "tests" / "heroku" / "fixtures" / "platform-api-schema.json",
)


class Sleeps(list[float]):
    """Records what the client would have slept; never sleeps."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def by_id(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda item: item["id"])


def mock_client(handler: Any, **options: Any) -> HerokuClient:
    options.setdefault("sleep", Sleeps())
    return HerokuClient("https://api.example.test", FAKE_TOKEN, transport=httpx.MockTransport(handler), **options)


# --- requests ------------------------------------------------------------------------------------


def test_every_request_sends_version_3_the_bearer_token_and_our_user_agent(fake_heroku: FakeHeroku) -> None:
    with fake_heroku.make_client() as client:
        client.list_spaces()
    [request] = fake_heroku.requests
    assert request.headers["accept"] == "application/vnd.heroku+json; version=3"
    assert request.headers["authorization"] == f"Bearer {FAKE_TOKEN}"
    assert request.headers["user-agent"] == f"riskreg/{__version__}"


def test_resources_come_back_as_the_api_sent_them(fake_heroku: FakeHeroku) -> None:
    estate = fake_heroku.estate
    app = estate.apps[0]
    with fake_heroku.make_client() as client:
        assert client.get_app(app["name"]) == app
        assert client.get_app(app["id"]) == app
        assert by_id(client.list_apps()) == by_id(estate.apps)
        assert by_id(client.list_spaces()) == by_id(estate.spaces)
        expected = {x["addon"]["id"] for x in estate.attachments if x["app"]["id"] == app["id"]}
        expected |= {a["id"] for a in estate.addons if a["app"]["id"] == app["id"]}
        assert {a["id"] for a in client.list_app_addons(app["name"])} == expected
        service = estate.plans[0]["addon_service"]["name"]
        assert {p["name"] for p in client.list_plans(service)} == {
            p["name"] for p in estate.plans if p["addon_service"]["name"] == service
        }


def test_plan_is_found_by_id_by_full_name_and_by_short_name(fake_heroku: FakeHeroku) -> None:
    plan = fake_heroku.estate.plans[3]
    service = plan["addon_service"]["name"]
    with fake_heroku.make_client() as client:
        assert client.get_plan(service, plan["id"]) == plan
        assert client.get_plan(service, plan["name"]) == plan
        assert client.get_plan(plan["addon_service"]["id"], plan["name"].split(":", 1)[1]) == plan


def test_unknown_app_is_not_found(fake_heroku: FakeHeroku) -> None:
    with fake_heroku.make_client() as client, pytest.raises(HerokuNotFound) as caught:
        client.get_app("no-such-app")
    assert caught.value.status_code == 404
    assert "no-such-app" in caught.value.detail


# --- paging --------------------------------------------------------------------------------------


def test_paging_collects_every_item_exactly_once(fake_heroku: FakeHeroku) -> None:
    fake_heroku.page_size = 7
    estate = fake_heroku.estate
    with fake_heroku.make_client() as client:
        addons = client.list_addons()
    ids = [a["id"] for a in addons]
    assert len(ids) == len(set(ids)) == len(estate.addons)
    assert by_id(addons) == by_id(estate.addons)
    pages = fake_heroku.requests_to("/addons")
    assert len(pages) == math.ceil(len(estate.addons) / 7) > 3
    assert pages[0].range is None
    assert all(p.status == 206 for p in pages[:-1]) and pages[-1].status == 200
    # Each later request sends back exactly the Next-Range the previous page named.
    ordered = sorted(a["id"] for a in estate.addons)
    for index, page in enumerate(pages[1:], start=1):
        assert page.range == f"id ]{ordered[index * 7 - 1]}..; max=7"


def test_a_page_size_asks_for_larger_pages_with_range(fake_heroku: FakeHeroku) -> None:
    fake_heroku.page_size = 1000
    with fake_heroku.make_client(page_size=100) as client:
        attachments = client.list_attachments()
    assert by_id(attachments) == by_id(fake_heroku.estate.attachments)
    pages = fake_heroku.requests_to("/addon-attachments")
    assert pages[0].range == "id ..; max=100"
    assert len(pages) == math.ceil(len(attachments) / 100)


def test_paging_stops_at_200_even_with_next_range_and_at_206_without_it() -> None:
    answers = iter([
        httpx.Response(206, json=[{"id": "a"}], headers={"Next-Range": "id ]a..; max=1"}),
        httpx.Response(200, json=[{"id": "b"}], headers={"Next-Range": "id ]b..; max=1"}),
    ])
    with mock_client(lambda request: next(answers)) as client:
        assert client.list_apps() == [{"id": "a"}, {"id": "b"}]
    with mock_client(lambda request: httpx.Response(206, json=[{"id": "a"}])) as client:
        assert client.list_apps() == [{"id": "a"}]


def test_paging_that_does_not_advance_is_stopped() -> None:
    def same_page(request: httpx.Request) -> httpx.Response:
        return httpx.Response(206, json=[{"id": "a"}], headers={"Next-Range": "id ]a..; max=1"})

    with mock_client(same_page) as client, pytest.raises(HerokuApiError, match="did not advance"):
        client.list_apps()


def test_paging_is_capped() -> None:
    counter = iter(range(10**6))

    def endless(request: httpx.Request) -> httpx.Response:
        n = next(counter)
        return httpx.Response(206, json=[{"id": str(n)}], headers={"Next-Range": f"id ]{n}..; max=1"})

    with mock_client(endless, max_pages=25) as client, pytest.raises(HerokuApiError, match="25 pages"):
        client.list_apps()


# --- rate limits and retries ---------------------------------------------------------------------


def test_429_backs_off_for_retry_after_then_succeeds(fake_heroku: FakeHeroku) -> None:
    sleeps = Sleeps()
    fake_heroku.rate_limit(2, retry_after="3")
    with fake_heroku.make_client(sleep=sleeps) as client:
        spaces = client.list_spaces()
    assert by_id(spaces) == by_id(fake_heroku.estate.spaces)
    assert sleeps == [3.0, 3.0]
    assert [r.status for r in fake_heroku.requests] == [429, 429, 200]
    assert fake_heroku.requests[0].headers["authorization"] == f"Bearer {FAKE_TOKEN}"


def test_429_without_retry_after_backs_off_exponentially_up_to_the_cap(fake_heroku: FakeHeroku) -> None:
    sleeps = Sleeps()
    fake_heroku.rate_limit(5, retry_after=None)
    with fake_heroku.make_client(sleep=sleeps, max_retries=6, max_backoff=5.0) as client:
        client.list_spaces()
    assert sleeps == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_retry_after_as_an_http_date_is_honoured() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    answers = iter([httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=[])])
    sleeps = Sleeps()
    with mock_client(lambda request: next(answers), sleep=sleeps) as client:
        assert client.list_apps() == []
    [slept] = sleeps
    assert 25 <= slept <= 30


@pytest.mark.parametrize("value", ["inf", "nan", "soon", "-5"])
def test_unreadable_or_odd_retry_after_falls_back_safely(value: str) -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": value})] * 3)
    sleeps = Sleeps()
    with mock_client(lambda request: next(answers), sleep=sleeps, max_retries=2) as client:
        with pytest.raises(HerokuRateLimited) as caught:
            client.list_apps()
    assert all(0 <= s <= 60 for s in sleeps) and len(sleeps) == 2
    assert int(caught.value.headers["Retry-After"]) >= 1


def test_429_beyond_max_retries_is_a_clear_rate_limit_error(fake_heroku: FakeHeroku) -> None:
    sleeps = Sleeps()
    fake_heroku.rate_limit(100, retry_after="0")
    with fake_heroku.make_client(sleep=sleeps, max_retries=3) as client, pytest.raises(HerokuRateLimited) as caught:
        client.list_addons()
    error = caught.value
    assert isinstance(error, HerokuApiError) and isinstance(error, DomainError)
    assert error.status_code == 503 and error.headers and error.headers["Retry-After"]
    assert "rate limit" in error.detail and "try again" in error.detail
    assert len(sleeps) == 3
    assert len(fake_heroku.requests) == 4  # the first try and three retries


def test_server_errors_are_retried_then_reported_as_unavailable(fake_heroku: FakeHeroku) -> None:
    sleeps = Sleeps()
    fake_heroku.fail(2, status=503)
    with fake_heroku.make_client(sleep=sleeps) as client:
        assert len(client.list_spaces()) == len(fake_heroku.estate.spaces)
    assert sleeps == [1.0, 2.0]
    fake_heroku.fail(10, status=500)
    with fake_heroku.make_client(max_retries=2) as client, pytest.raises(HerokuUnavailable) as caught:
        client.list_spaces()
    assert caught.value.status_code == 503 and "500" in caught.value.detail


# --- refusals and outages ------------------------------------------------------------------------


def test_a_refused_token_says_what_to_do_and_never_shows_the_token(fake_heroku: FakeHeroku) -> None:
    secret = "hrku-secret-value-that-must-not-leak"
    with fake_heroku.make_client(token=secret) as client:
        assert secret not in repr(client)
        with pytest.raises(HerokuTokenRefused) as caught:
            client.list_apps()
    error = caught.value
    assert fake_heroku.requests[0].status == 401
    assert "HEROKU_API_TOKEN" in error.detail and "heroku authorizations:create" in error.detail
    for text in (error.detail, str(error), repr(error), repr(error.args), json.dumps(error.headers)):
        assert secret not in text


def test_403_is_a_refused_token_too_with_herokus_reason_redacted() -> None:
    def forbidden(request: httpx.Request) -> httpx.Response:
        reason = f"token {request.headers['authorization']} lacks the read scope"
        return httpx.Response(403, json={"id": "forbidden", "message": reason})

    with mock_client(forbidden) as client, pytest.raises(HerokuTokenRefused) as caught:
        client.list_addons()
    assert "heroku authorizations:create" in caught.value.detail and "lacks the read scope" in caught.value.detail
    assert FAKE_TOKEN not in caught.value.detail


def test_a_token_echoed_in_an_error_body_is_redacted() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"id": "invalid_params", "message": f"bad header {request.headers['authorization']}"})

    with mock_client(echo) as client, pytest.raises(HerokuApiError) as caught:
        client.list_apps()
    assert FAKE_TOKEN not in caught.value.detail and "[token]" in caught.value.detail


def test_no_token_configured_is_refused_before_any_request(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEROKU_API_TOKEN", raising=False)
    monkeypatch.delenv("RISKREG_HEROKU_API_TOKEN", raising=False)
    settings = Settings(_env_file=None)
    assert settings.heroku_api_token is None
    with pytest.raises(HerokuNotConfigured, match="HEROKU_API_TOKEN"):
        client_from_settings(settings)


def test_settings_build_a_client_for_the_configured_url(fake_heroku: FakeHeroku) -> None:
    settings = Settings(_env_file=None, HEROKU_API_TOKEN=FAKE_TOKEN, heroku_api_url=fake_heroku.url)
    assert FAKE_TOKEN not in repr(settings)
    with client_from_settings(settings, transport=httpx.HTTPTransport()) as client:
        assert len(client.list_spaces()) == 2


def test_a_stopped_server_is_unavailable(fake_heroku: FakeHeroku) -> None:
    client = fake_heroku.make_client()
    client.list_spaces()  # a kept-alive connection exists; stopping must still refuse the next request
    fake_heroku.stop()
    with client, pytest.raises(HerokuUnavailable) as caught:
        client.list_spaces()
    error = caught.value
    assert error.status_code == 503 and error.headers == {"Retry-After": "30"}
    assert "could not be reached" in error.detail and FAKE_TOKEN not in error.detail


def test_a_timeout_is_unavailable() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with mock_client(slow) as client, pytest.raises(HerokuUnavailable, match="did not answer in time"):
        client.list_apps()


# --- plans and the whole estate ------------------------------------------------------------------


def test_unknown_plan_is_a_distinct_error_asked_once(fake_heroku: FakeHeroku) -> None:
    with fake_heroku.make_client() as client:
        for _ in range(2):
            with pytest.raises(HerokuPlanNotFound) as caught:
                client.get_plan("heroku-postgresql", "no-such-plan")
            assert isinstance(caught.value, HerokuNotFound)
    [request] = fake_heroku.requests
    assert request.status == 404


def test_fetch_estate_returns_the_raw_lists(fake_heroku: FakeHeroku) -> None:
    expected = fake_heroku.estate.api_lists()
    with fake_heroku.make_client() as client:
        got = fetch_estate(client)
    assert list(got) == ["apps", "spaces", "addons", "attachments", "plans"]
    for key in expected:
        assert by_id(got[key]) == by_id(expected[key]), key
    # Add-ons on plans Heroku does not know are still listed; only their plan details are missing.
    known = {p["id"] for p in got["plans"]}
    assert any(a["plan"]["id"] not in known for a in got["addons"])


def test_plan_details_are_fetched_once_per_distinct_plan(fake_heroku: FakeHeroku) -> None:
    estate = fake_heroku.estate
    distinct = {(a["addon_service"]["name"], a["plan"]["id"]) for a in estate.addons}
    assert len(distinct) < len(estate.addons)
    with fake_heroku.make_client() as client:
        fetch_estate(client)
        first = fake_heroku.requests_to("/addon-services/")
        assert len(first) == len(distinct)
        assert Counter(r.path for r in first).most_common(1)[0][1] == 1
        assert {r.status for r in first} == {200, 404}  # retired plans answer 404, asked once all the same
        fake_heroku.clear_log()
        fetch_estate(client)  # the same client: plans come from its cache
    assert fake_heroku.requests_to("/addon-services/") == []
    assert len(fake_heroku.requests_to("/addons")) >= 1


def test_removing_an_addon_between_syncs(fake_heroku: FakeHeroku) -> None:
    shared = Counter(x["addon"]["id"] for x in fake_heroku.estate.attachments)
    gone_id = next(addon_id for addon_id, n in shared.items() if n == 2)
    with fake_heroku.make_client() as client:
        before = fetch_estate(client)
        fake_heroku.remove_addon(gone_id)
        after = fetch_estate(client)
    assert len(after["addons"]) == len(before["addons"]) - 1
    assert gone_id not in {a["id"] for a in after["addons"]}
    assert len(after["attachments"]) == len(before["attachments"]) - 2


def test_stub_plans_are_not_looked_up() -> None:
    addons = [
        {"id": "1", "plan": {}, "addon_service": {}},
        {"id": "2", "plan": None, "addon_service": {"name": "papertrail"}},
        {"id": "3"},
        {"id": "4", "plan": {"name": "plan-without-service"}, "addon_service": {}},
        {"id": "5", "plan": {"name": "heroku-redis:mini"}, "addon_service": {}},
        {"id": "6", "plan": {"id": "p-6", "name": "sentry:f1"}, "addon_service": {"id": "s-6"}},
        {"id": "7", "plan": {"id": "p-6", "name": "sentry:f1"}, "addon_service": {"id": "s-6"}},
    ]
    assert distinct_plan_lookups(addons) == [("heroku-redis", "heroku-redis:mini"), ("s-6", "p-6")]


def test_fetch_estate_survives_stub_plans_from_the_api(fake_heroku: FakeHeroku) -> None:
    fake_heroku.estate.addons[0]["plan"] = {}
    fake_heroku.estate.addons[1]["addon_service"] = {}
    del fake_heroku.estate.addons[1]["plan"]["id"]
    with fake_heroku.make_client() as client:
        got = fetch_estate(client)
    assert len(got["addons"]) == len(fake_heroku.estate.addons)
    assert all(r.status in (200, 206, 404) for r in fake_heroku.requests), [(r.path, r.status) for r in fake_heroku.requests if r.status not in (200, 404)]


# --- the fake API itself -------------------------------------------------------------------------


def test_fake_refuses_missing_token_and_wrong_version(fake_heroku: FakeHeroku) -> None:
    with httpx.Client(base_url=fake_heroku.url, transport=httpx.HTTPTransport()) as http:
        refused = http.get("/apps", headers={"Accept": "application/vnd.heroku+json; version=3"})
        assert refused.status_code == 401 and refused.json()["id"] == "unauthorized"
        old = http.get("/apps", headers={"Authorization": f"Bearer {FAKE_TOKEN}", "Accept": "application/json"})
        assert old.status_code == 400
        plan = fake_heroku.estate.plans[0]
        public = http.get(f"/addon-services/{plan['addon_service']['name']}/plans/{plan['id']}",
                          headers={"Accept": "application/vnd.heroku+json; version=3"})
        assert public.status_code == 200 and public.json() == plan
        unknown = http.get("/addon-services/heroku-postgresql/plans/nope",
                           headers={"Accept": "application/vnd.heroku+json; version=3"})
        assert unknown.status_code == 404 and unknown.json()["id"] == "not_found"


# --- fixture shapes against the Platform API schema ----------------------------------------------


def _strict(node: Any) -> Any:
    """The hyper-schema's `strictProperties: true` (every listed property, nothing else) in JSON Schema."""
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.get("strictProperties") is True and "properties" in node:
            node.setdefault("additionalProperties", False)
            node.setdefault("required", sorted(node["properties"]))
        return node
    if isinstance(node, list):
        return [_strict(value) for value in node]
    return node


@pytest.fixture(scope="module")
def api_schema() -> dict[str, Any]:
    for path in SCHEMA_CANDIDATES:
        if path.is_file():
            return json.loads(path.read_text())
    pytest.fail("tests/heroku/fixtures/platform-api-schema.json is missing (copy it from heroku/platform-api)")


def _validator(schema: dict[str, Any], definition: str) -> Any:
    jsonschema = pytest.importorskip("jsonschema")
    definitions = _strict(copy.deepcopy(schema["definitions"]))
    # No keys the schema lacks at the top level either (add-on already says so itself).
    definitions[definition]["additionalProperties"] = False
    root = {"$ref": f"#/definitions/{definition}", "definitions": definitions}
    return jsonschema.Draft4Validator(root, format_checker=jsonschema.FormatChecker())


@pytest.mark.parametrize(
    ("definition", "collection"),
    [("app", "apps"), ("space", "spaces"), ("add-on-attachment", "attachments"), ("plan", "plans"),
     ("add-on-service", "services")],
)
def test_factory_objects_match_the_api_schema(api_schema: dict[str, Any], definition: str, collection: str) -> None:
    validator = _validator(api_schema, definition)
    items = getattr(make_estate(apps=40, addons=250, seed=3), collection)
    assert items
    problems = [f"{item.get('name')}: {error.json_path} {error.message}"
                for item in items for error in validator.iter_errors(item)]
    assert not problems, problems[:5]


def test_factory_addons_match_the_api_schema_except_unknown_states(api_schema: dict[str, Any]) -> None:
    validator = _validator(api_schema, "add-on")
    estate = make_estate(apps=40, addons=250, seed=3, unknown_states=3)
    unknown_seen = 0
    for addon in estate.addons:
        errors = list(validator.iter_errors(addon))
        if addon["state"] in UNKNOWN_STATES:
            # The schema's enum has three states; Heroku may add more, so the factory includes others.
            unknown_seen += 1
            assert [(list(e.path), e.validator) for e in errors] == [(["state"], "enum")]
        else:
            assert not errors, [e.message for e in errors]
    assert unknown_seen == 3


def test_factory_is_deterministic_and_scales() -> None:
    assert make_estate(seed=11) == make_estate(seed=11)
    assert make_estate(seed=11) != make_estate(seed=12)
    big = make_estate(apps=500, addons=5000)
    assert len(big.apps) == 500 and len(big.addons) == 5000
    assert len({a["id"] for a in big.addons}) == 5000
    assert len({a["name"] for a in big.apps}) == 500
    spaces = Counter((app["space"] or {}).get("name") for app in big.apps)
    assert spaces[None] > 0 and spaces["acme-private"] > 0 and spaces["acme-shield"] > 0
    # Some add-ons are attached to two apps; attachment names are unique within an app.
    per_addon = Counter(x["addon"]["id"] for x in big.attachments)
    assert 0 < sum(1 for n in per_addon.values() if n == 2)
    names = Counter((x["app"]["id"], x["name"]) for x in big.attachments)
    assert max(names.values()) == 1


def test_factory_plans_follow_the_catalogue_rules() -> None:
    plans = {p["name"]: p for p in make_estate().plans}
    for name, plan in plans.items():
        short = name.split(":", 1)[1]
        if short.startswith(("shield-", "private-")):
            assert plan["installable_inside_private_network"] is True, name
        if short.startswith(("essential-", "mini")):
            assert plan["installable_inside_private_network"] is False, name
    assert plans["heroku-postgresql:shield-0"]["compliance"] == ["HIPAA", "PCI"]
    assert {json.dumps(p["compliance"]) for p in plans.values()} >= {"null", "[]", '["HIPAA", "PCI"]'}


def test_the_schema_check_is_strict(api_schema: dict[str, Any]) -> None:
    """The checks above would notice a key the schema lacks, a stub where `{id, name}` is due, a bad uuid."""
    app = make_estate(apps=3, addons=3).apps[0]
    addon = make_estate(apps=3, addons=3).addons[0]
    assert not list(_validator(api_schema, "app").iter_errors(app))
    assert list(_validator(api_schema, "app").iter_errors({**app, "colour": "blue"}))
    assert list(_validator(api_schema, "app").iter_errors({**app, "id": "not-a-uuid"}))
    assert list(_validator(api_schema, "add-on").iter_errors({**addon, "plan": {}}))
    assert list(_validator(api_schema, "add-on").iter_errors({**addon, "created_at": "yesterday"}))
