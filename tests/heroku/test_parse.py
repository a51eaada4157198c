"""The Heroku parsers: CLI exports recognised by content, API objects, and what they make of bad input.

Fixtures in tests/heroku/fixtures are shaped like the real CLI and API output (checked against the
Platform API schema below): addons-all.json (`heroku addons --all --json`), addons-app.json
(`heroku addons --app acme-api --json`), apps-info-shield.json and apps-info-common.json
(`heroku apps:info --json`), plans-heroku-postgresql.json (`heroku addons:plans heroku-postgresql
--json`) and api-estate.json (raw API objects for `estate_from_api`); platform-api-schema.json is the
API's schema they are checked against.
"""

import copy
import json
import random
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.heroku.estate import AppFacts, AttachmentFacts, Estate, PlanFacts, Price, ServiceFacts, Skipped, SpaceFacts
from app.heroku.parse import EXPECTED, HerokuFileError, estate_from_api, parse_cli_json

FIXTURES = Path(__file__).parent / "fixtures"
# The Platform API's own JSON hyper-schema, unchanged from heroku/platform-api (schema.json, MIT licence).
SCHEMA_FILE = FIXTURES / "platform-api-schema.json"

Obj = dict[str, Any]


def raw(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def data(name: str) -> Any:
    return json.loads(raw(name))


def dumps(value: Any) -> bytes:
    return json.dumps(value, indent=2).encode()


def parse(value: Any, **kwargs: Any) -> Estate:
    return parse_cli_json(dumps(value), **kwargs)


def by_name(estate: Estate) -> dict[str, Any]:
    return {a.name: a for a in estate.addons.values()}


def ref(name: str, heroku_id: str = "01234567-89ab-cdef-0123-456789abcdef") -> Obj:
    return {"id": heroku_id, "name": name}


def addon(name: str = "postgresql-rigid-12345", app: str = "acme-web", **fields: Any) -> Obj:
    """A minimal add-on as `heroku addons --json` prints it (service and plan as {id, name})."""
    value: Obj = {
        "addon_service": ref("heroku-postgresql", "6c67493d-8fc2-4cd4-9161-4f1ec11cbe69"),
        "app": ref(app, "3f1e6c0a-52a5-4d0c-9c55-1c1b7c1d2a10"),
        "billed_price": {"cents": 500, "contract": False, "unit": "month"},
        "config_vars": ["DATABASE_URL"],
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, name)),
        "name": name,
        "plan": ref("heroku-postgresql:essential-0", "062a1cc7-f79f-404c-9f91-135f70175577"),
        "state": "provisioned",
        "attachments": [{"app": ref(app, "3f1e6c0a-52a5-4d0c-9c55-1c1b7c1d2a10"), "name": "DATABASE"}],
    }
    for key, val in fields.items():
        if val is ...:
            value.pop(key, None)
        else:
            value[key] = val
    return value


# ------------------------------------------------------------------------------------------------------
# The fixtures, one recognised shape each


def test_addons_all_fixture():
    estate = parse_cli_json(raw("addons-all.json"))
    assert estate.source == "addons"
    assert estate.everything is False
    assert estate.skipped == []
    assert len(estate.addons) == 43
    apps = {f"acme-{n}" for n in ("web", "api", "worker", "admin", "web-staging", "api-staging", "reports")}
    apps |= {"acme-billing", "acme-marketing", "acme-docs"}
    assert set(estate.apps) == apps | {"northwind-data"}
    # Every billing app is listed in full, except the partner's app whose add-on the user cannot read.
    assert estate.complete_apps == apps
    assert set(estate.services) == {
        "heroku-postgresql", "heroku-redis", "papertrail", "sendgrid", "mailgun",
        "cloudamqp", "bucketeer", "newrelic", "sentry", "scheduler",
    }  # fmt: skip
    assert estate.services["heroku-postgresql"].human_name == "Heroku Postgres"
    assert estate.services["heroku-postgresql"].heroku_id == "8bc438e9-a6f6-46f9-a662-8de584043140"

    addons = by_name(estate)
    shared = next(a for a in addons.values() if a.plan == "heroku-postgresql:standard-0" and a.app == "acme-web")
    assert [(a.app, a.name) for a in shared.attachments] == [
        ("acme-reports", "WEB_DATABASE"),
        ("acme-web", "DATABASE"),
        ("acme-worker", "DATABASE"),
    ]
    assert all(a.heroku_id for a in shared.attachments)
    assert shared.config_vars == ("DATABASE_URL",)
    assert shared.billed_price == Price(cents=5000, unit="month", contract=False)
    assert shared.state == "provisioned"
    assert shared.web_url == f"https://data.heroku.com/datastores/{shared.heroku_id}"
    assert shared.created_at == "2019-04-05T08:30:23Z"

    states = {a.state for a in addons.values()}
    assert states == {"provisioned", "deprovisioned", "suspended", None}  # None: the stub says nothing
    gone = next(a for a in addons.values() if a.state == "deprovisioned")
    assert gone.attachments == ()  # `[]` in a file where other add-ons list theirs: attached nowhere
    suspended = next(a for a in addons.values() if a.state == "suspended")
    assert (suspended.service, suspended.plan, suspended.app) == ("mailgun", "mailgun:basic-10k", "acme-billing")
    no_key = [a for a in addons.values() if a.attachments is None]
    assert {a.service for a in no_key} == {"newrelic", "sendgrid"}  # the key was missing: unknown

    stub = next(a for a in addons.values() if a.app == "northwind-data")
    assert (stub.service, stub.plan, stub.state) == (None, None, None)
    stub_raw = data("addons-all.json")[-1]
    assert "id" not in stub_raw and stub_raw["addon_service"] == {} and stub_raw["plan"] == {}
    assert stub.heroku_id == stub_raw["attachments"][0]["addon"]["id"]  # recovered from its attachments
    assert stub.attachments == (AttachmentFacts("acme-reports", "NORTHWIND_DATABASE", stub.attachments[0].heroku_id),)

    not_billed = next(a for a in addons.values() if a.plan == "bucketeer:micro")
    assert not_billed.billed_price is None

    # Plans: full objects give their facts; {id, name} gives only identity; plan.price in a CLI add-on
    # is the billed price, so it is never taken for the plan's list price.
    standard = estate.plans["heroku-postgresql:standard-0"]
    assert standard.compliance == () and standard.installable_inside_private_network is False
    assert standard.human_name == "Standard 0" and standard.price is None
    assert estate.plans["heroku-postgresql:essential-1"].compliance is None  # null in the full plan
    assert estate.plans["papertrail:fixa"] == PlanFacts(
        name="papertrail:fixa", heroku_id=estate.plans["papertrail:fixa"].heroku_id
    )
    assert all(p.price is None for p in estate.plans.values())


def test_addons_app_fixture_is_complete_only_for_that_app():
    estate = parse_cli_json(raw("addons-app.json"))
    assert estate.source == "addons"
    assert {a.app for a in estate.addons.values()} == {"acme-api", "acme-web"}
    # acme-web's redis is listed only because it is attached to acme-api: acme-web is not complete.
    assert estate.complete_apps == {"acme-api"}
    redis = next(a for a in estate.addons.values() if a.app == "acme-web")
    assert {(a.app, a.name) for a in redis.attachments} == {("acme-web", "REDIS"), ("acme-api", "WEB_REDIS")}
    amqp = next(a for a in estate.addons.values() if a.service == "cloudamqp")
    assert {a.app for a in amqp.attachments} == {"acme-api", "acme-worker"}
    assert estate.plans["heroku-postgresql:standard-2"].compliance == ()
    assert estate.services["cloudamqp"].human_name == "CloudAMQP"


def test_apps_info_shield_fixture():
    estate = parse_cli_json(raw("apps-info-shield.json"))
    assert estate.source == "apps_info"
    app = estate.apps["acme-phi-api"]
    assert app == AppFacts(
        name="acme-phi-api",
        heroku_id=app.heroku_id,
        team="acme-health",
        region="virginia",
        space="acme-shield-virginia",
        space_known=True,
        shield=True,
        generation="cedar",
    )
    assert app.heroku_id
    space = estate.spaces["acme-shield-virginia"]
    assert space == SpaceFacts(name="acme-shield-virginia", heroku_id=space.heroku_id, shield=True)
    assert estate.complete_apps == {"acme-phi-api"}
    assert sorted(a.plan for a in estate.addons.values()) == [
        "heroku-postgresql:shield-0",
        "heroku-postgresql:shield-2",
        "papertrail:volmar",
        "scheduler:standard",
    ]
    # /apps/{app}/addons has no attachments: unknown, not "attached nowhere"
    assert all(a.attachments is None for a in estate.addons.values())
    assert estate.plans["heroku-postgresql:shield-0"].compliance is None  # {id, name} only: unknown
    assert estate.skipped == []


def test_apps_info_common_fixture():
    estate = parse_cli_json(raw("apps-info-common.json"))
    assert estate.source == "apps_info"
    app = estate.apps["acme-worker"]
    assert (app.space, app.space_known, app.shield) == (None, True, False)
    assert (app.region, app.team, app.generation) == ("us", "acme", "cedar")  # generation was a plain string
    assert estate.spaces == {}
    assert estate.complete_apps == {"acme-worker"}
    # Add-ons billed to other apps but attached to acme-worker are listed; only acme-worker is complete.
    assert {a.app for a in estate.addons.values()} == {"acme-worker", "acme-web", "acme-api"}
    assert estate.apps["acme-web"].space_known is False


def test_plans_fixture():
    estate = parse_cli_json(raw("plans-heroku-postgresql.json"))
    assert estate.source == "plans"
    assert estate.addons == {} and estate.apps == {} and estate.complete_apps == set()
    assert estate.services == {
        "heroku-postgresql": ServiceFacts(name="heroku-postgresql", heroku_id="8bc438e9-a6f6-46f9-a662-8de584043140")
    }
    assert len(estate.plans) == 9
    shield = estate.plans["heroku-postgresql:shield-0"]
    assert shield.compliance == ("HIPAA", "PCI")
    assert shield.installable_inside_private_network is True
    assert shield.installable_outside_private_network is False
    assert shield.price == Price(cents=35000, unit="month", contract=False)
    assert (shield.human_name, shield.state, shield.service) == ("Shield 0", "public", "heroku-postgresql")
    essential0 = estate.plans["heroku-postgresql:essential-0"]
    assert essential0.compliance is None  # null: unknown
    assert estate.plans["heroku-postgresql:essential-2"].compliance == ()  # []: none claimed
    assert not any(p.installable_inside_private_network for p in estate.plans.values() if "essential" in p.name)


def test_api_estate_fixture():
    estate = estate_from_api(**data("api-estate.json"))
    assert estate.source == "api"
    assert estate.everything is True
    assert estate.skipped == []
    assert estate.complete_apps == {"acme-web", "acme-worker", "acme-phi-api", "acme-ledger"}
    phi = estate.apps["acme-phi-api"]
    assert (phi.space, phi.space_known, phi.shield) == ("acme-shield-virginia", True, True)
    ledger = estate.apps["acme-ledger"]  # its `space` had no `shield`: taken from GET /spaces
    assert (ledger.space, ledger.shield) == ("acme-private-oregon", False)
    assert estate.spaces["acme-private-oregon"].region == "oregon"
    assert estate.spaces["acme-shield-virginia"].team == "acme-health"
    assert estate.spaces["acme-shield-virginia"].state == "allocated"
    web = estate.apps["acme-web"]
    assert (web.space, web.space_known, web.shield, web.generation) == (None, True, False, "cedar")

    addons = estate.addons.values()
    db = next(a for a in addons if a.plan == "heroku-postgresql:standard-0")
    assert {a.app for a in db.attachments} == {"acme-web", "acme-worker", "acme-reports"}
    # The partner database is known only from its attachment to acme-worker.
    partner = next(a for a in addons if a.app == "northwind-data")
    assert (partner.service, partner.plan) == (None, None)
    assert partner.attachments == (
        AttachmentFacts("acme-worker", "NORTHWIND_DATABASE", partner.attachments[0].heroku_id),
    )
    assert "northwind-data" not in estate.complete_apps
    # Plans from GET /addon-services/.../plans/... carry their list price.
    assert estate.plans["heroku-postgresql:private-0"].price == Price(cents=30000, unit="month", contract=False)
    assert estate.plans["heroku-postgresql:private-0"].installable_inside_private_network is True


def test_parsing_is_deterministic_and_independent_of_order():
    values = data("addons-all.json")
    first = parse(values)
    assert parse_cli_json(raw("addons-all.json")) == parse_cli_json(raw("addons-all.json"))
    shuffled = copy.deepcopy(values)
    random.Random(3).shuffle(shuffled)
    assert parse(shuffled) == first


def test_unknown_keys_are_ignored():
    values = data("addons-all.json")
    noisy = copy.deepcopy(values)
    for i, item in enumerate(noisy):
        item["x_unknown"] = {"nested": [i]}
        if isinstance(item.get("plan"), dict):
            item["plan"]["marketing"] = "new!"
    assert parse(noisy) == parse(values)
    info = data("apps-info-shield.json")
    info["app"]["sni_endpoints"] = []
    info["future"] = {"anything": True}
    assert parse(info) == parse_cli_json(raw("apps-info-shield.json"))


def test_utf16_file_with_bom_is_read():
    """PowerShell's `>` writes UTF-16 with a BOM."""
    text = raw("addons-app.json").decode()
    assert parse_cli_json(text.encode("utf-16")) == parse_cli_json(raw("addons-app.json"))
    assert parse_cli_json(b"\xef\xbb\xbf" + raw("addons-app.json")) == parse_cli_json(raw("addons-app.json"))


def test_empty_array_is_an_empty_estate():
    assert parse_cli_json(b"[]\n") == Estate(source="addons")


# ------------------------------------------------------------------------------------------------------
# Forms of addon_service and plan


@pytest.mark.parametrize(
    ("service", "plan", "expected"),
    [
        pytest.param(ref("heroku-postgresql"), ref("heroku-postgresql:essential-0"),
                     ("heroku-postgresql", "heroku-postgresql:essential-0"), id="id-name"),
        pytest.param({"id": "x", "name": "heroku-postgresql", "human_name": "Heroku Postgres", "state": "ga"},
                     {"id": "y", "name": "heroku-postgresql:essential-0", "compliance": None, "price": {"cents": 0}},
                     ("heroku-postgresql", "heroku-postgresql:essential-0"), id="full"),
        pytest.param({}, ref("heroku-postgresql:essential-0"),
                     ("heroku-postgresql", "heroku-postgresql:essential-0"), id="service-stub-plan-known"),
        pytest.param({}, {"name": "heroku-postgresql:essential-0"},
                     ("heroku-postgresql", "heroku-postgresql:essential-0"), id="plan-name-only"),
        pytest.param(ref("heroku-postgresql"), {}, ("heroku-postgresql", None), id="plan-stub"),
        pytest.param({}, {}, (None, None), id="both-stubs"),
        pytest.param(None, None, (None, None), id="both-null"),
        pytest.param(..., ..., (None, None), id="both-missing"),
        pytest.param(ref("heroku-postgresql"), ref("essential-0"),
                     ("heroku-postgresql", "heroku-postgresql:essential-0"), id="plan-without-service-prefix"),
        pytest.param({}, {"name": "x", "addon_service": ref("heroku-redis")}, ("heroku-redis", "heroku-redis:x"),
                     id="service-from-plan-addon-service"),
    ],
)  # fmt: skip
def test_addon_service_and_plan_forms(service, plan, expected):
    estate = parse([addon(addon_service=service, plan=plan)])
    (found,) = estate.addons.values()
    assert (found.service, found.plan) == expected
    assert estate.skipped == []
    if expected[0]:
        assert expected[0] in estate.services
    if expected[1]:
        assert estate.plans[expected[1]].service == expected[0]


def test_full_service_and_plan_give_catalogue_facts():
    full_service = {"id": "s1", "name": "heroku-postgresql", "human_name": "Heroku Postgres", "state": "ga"}
    full_plan = {
        "id": "p1",
        "name": "heroku-postgresql:shield-0",
        "human_name": "Shield 0",
        "compliance": ["HIPAA", "PCI"],
        "installable_inside_private_network": True,
        "installable_outside_private_network": False,
        "price": {"cents": 35000, "contract": False, "unit": "month"},
        "state": "public",
    }
    estate = parse([addon(addon_service=full_service, plan=full_plan)])
    assert estate.services["heroku-postgresql"] == ServiceFacts("heroku-postgresql", "s1", "Heroku Postgres")
    assert estate.plans["heroku-postgresql:shield-0"] == PlanFacts(
        name="heroku-postgresql:shield-0",
        heroku_id="p1",
        human_name="Shield 0",
        compliance=("HIPAA", "PCI"),
        installable_inside_private_network=True,
        installable_outside_private_network=False,
        price=None,  # in a CLI add-on this is the billed price, not the plan's
        state="public",
    )


def test_plan_facts_merge_across_add_ons_whatever_the_order():
    brief = addon("postgresql-a-1", plan=ref("heroku-postgresql:essential-2", "p2"))
    full = addon("postgresql-b-2", plan={"id": "p2", "name": "heroku-postgresql:essential-2", "compliance": []})
    for order in ([brief, full], [full, brief]):
        assert parse(order).plans["heroku-postgresql:essential-2"] == PlanFacts(
            "heroku-postgresql:essential-2", heroku_id="p2", compliance=()
        )


def test_plan_name_without_service_is_noted_and_the_add_on_kept():
    estate = parse([addon(addon_service={}, plan=ref("essential-0"))])
    (found,) = estate.addons.values()
    assert (found.service, found.plan) == (None, None)
    assert estate.skipped == [
        Skipped(
            "plan 'essential-0' of add-on #1 (name 'postgresql-rigid-12345')",
            "not in service:plan form and the service is unknown",
        )
    ]


# ------------------------------------------------------------------------------------------------------
# Attachments, state, compliance, app fields


def test_attachments_missing_vs_empty():
    attached = addon("postgresql-a-1")
    empty = addon("postgresql-b-2", attachments=[])
    missing = addon("postgresql-c-3", attachments=...)
    null = addon("postgresql-d-4", attachments=None)
    estate = by_name(parse([attached, empty, missing, null]))
    assert estate["postgresql-a-1"].attachments == (AttachmentFacts("acme-web", "DATABASE"),)
    assert estate["postgresql-b-2"].attachments == ()
    assert estate["postgresql-c-3"].attachments is None
    assert estate["postgresql-d-4"].attachments is None


def test_attachments_empty_everywhere_means_not_listed():
    """`heroku addons --all --json` does not fetch attachments and prints [] for every add-on."""
    estate = parse([addon("postgresql-a-1", attachments=[]), addon("redis-b-2", attachments=[])])
    assert all(a.attachments is None for a in estate.addons.values())


def test_attachments_sorted_and_deduplicated():
    atts = [
        {"app": ref("acme-worker"), "name": "DATABASE", "id": "a2"},
        {"app": ref("acme-web"), "name": "DATABASE", "id": "a1"},
        {"app": ref("acme-web"), "name": "DATABASE", "id": "a1"},
    ]
    (found,) = parse([addon(attachments=atts)]).addons.values()
    assert found.attachments == (
        AttachmentFacts("acme-web", "DATABASE", "a1"),
        AttachmentFacts("acme-worker", "DATABASE", "a2"),
    )


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        ("provisioning", "provisioning"),
        ("provisioned", "provisioned"),
        ("deprovisioned", "deprovisioned"),
        ("suspended", "suspended"),
        ("deprovisioning", "deprovisioning"),
        (None, None),
        (..., None),
    ],
)
def test_state_is_kept_as_given(state, expected):
    (found,) = parse([addon(state=state)]).addons.values()
    assert found.state == expected


@pytest.mark.parametrize(
    ("compliance", "expected"),
    [(None, None), (..., None), ([], ()), (["HIPAA"], ("HIPAA",)), (["HIPAA", "PCI"], ("HIPAA", "PCI"))],
)
def test_compliance_null_is_unknown_and_empty_is_none_claimed(compliance, expected):
    plan: Obj = {
        "addon_service": ref("heroku-postgresql"),
        "name": "heroku-postgresql:standard-0",
        "installable_inside_private_network": False,
        "compliance": compliance,
    }
    if compliance is ...:
        del plan["compliance"]
    assert parse([plan]).plans["heroku-postgresql:standard-0"].compliance == expected
    embedded = parse([addon(plan={k: v for k, v in plan.items() if k != "addon_service"})])
    assert embedded.plans["heroku-postgresql:standard-0"].compliance == expected


def apps_info(**app_fields: Any) -> Obj:
    app: Obj = {
        "id": "9d4b5a3e-51b4-4b43-8f57-1c0e6f1a2b3c",
        "name": "acme-api",
        "region": {"id": "59accabd-516d-4f0e-83e6-6e3757701145", "name": "us"},
        "space": None,
        "team": ref("acme"),
        "generation": ref("cedar"),
    }
    for key, val in app_fields.items():
        if val is ...:
            app.pop(key, None)
        else:
            app[key] = val
    return {"app": app, "addons": [addon(app="acme-api")], "dynos": [], "collaborators": []}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, {"region": "us", "generation": "cedar", "team": "acme"}, id="objects"),
        pytest.param({"generation": "fir"}, {"generation": "fir"}, id="generation-string"),
        pytest.param({"generation": ...}, {"generation": None}, id="generation-missing"),
        pytest.param({"region": "eu"}, {"region": "eu"}, id="region-string"),
        pytest.param({"region": {"name": "eu"}}, {"region": "eu"}, id="region-name-only"),
        pytest.param({"team": None}, {"team": None}, id="team-null"),
        pytest.param({"team": None, "organization": ref("acme-legacy")}, {"team": "acme-legacy"}, id="organization"),
        pytest.param({"space": None}, {"space": None, "space_known": True, "shield": False}, id="common-runtime"),
        pytest.param({"space": {"id": "s", "name": "acme-private", "shield": False}},
                     {"space": "acme-private", "space_known": True, "shield": False}, id="private-space"),
        pytest.param({"space": {"id": "s", "name": "acme-shield", "shield": True}},
                     {"space": "acme-shield", "space_known": True, "shield": True}, id="shield-space"),
        pytest.param({"space": {"id": "s", "name": "acme-private"}},
                     {"space": "acme-private", "space_known": True, "shield": None}, id="space-without-shield"),
        pytest.param({"space": ...}, {"space": None, "space_known": False, "shield": None}, id="space-missing"),
    ],
)  # fmt: skip
def test_apps_info_app_fields(fields, expected):
    estate = parse(apps_info(**fields))
    app = estate.apps["acme-api"]
    for key, value in expected.items():
        assert getattr(app, key) == value, key
    assert estate.complete_apps == {"acme-api"}
    if app.space:
        assert estate.spaces[app.space].shield == app.shield


def test_apps_info_space_without_name_leaves_the_space_unknown():
    estate = parse(apps_info(space={"id": "s", "shield": True}))
    app = estate.apps["acme-api"]
    assert (app.space, app.space_known, app.shield) == (None, False, True)
    assert estate.skipped == [Skipped("space of app 'acme-api'", "no name: the app's space is unknown")]


def test_apps_info_without_a_usable_app_still_reads_the_add_ons():
    value = apps_info(name=42)
    estate = parse(value)
    assert estate.skipped == [Skipped("app", "name is a number, not a string")]
    assert len(estate.addons) == 1
    assert estate.complete_apps == set()


def test_apps_info_with_addons_not_an_array():
    value = apps_info()
    value["addons"] = {"oops": True}
    estate = parse(value)
    assert estate.skipped == [Skipped("addons", "is an object, not an array: the app's add-ons are unknown")]
    assert estate.complete_apps == set()
    value["addons"] = None
    assert parse(value).complete_apps == set()


# ------------------------------------------------------------------------------------------------------
# What is skipped, and why


def _without(key: str):
    return lambda a: a.pop(key)


def _set(key: str, value: Any):
    return lambda a: a.__setitem__(key, value)


SKIPS = [
    pytest.param(_without("id"), "add-on #2 (name 'postgresql-bad-99999')", "no id", id="no-id"),
    pytest.param(_set("id", ""), "add-on #2 (name 'postgresql-bad-99999')", "no id", id="empty-id"),
    pytest.param(_set("id", 12), "add-on #2 (name 'postgresql-bad-99999')", "id is a number, not a string", id="id-number"),
    pytest.param(_without("name"), "add-on #2", "no name", id="no-name"),
    pytest.param(_set("app", None), "add-on #2 (name 'postgresql-bad-99999')", "no billing app (app.name)", id="no-app"),
    pytest.param(_set("app", "acme-web"), "add-on #2 (name 'postgresql-bad-99999')", "app is a string, not an object", id="app-string"),
    pytest.param(_set("config_vars", "DATABASE_URL"), "add-on #2 (name 'postgresql-bad-99999')",
                 "config_vars is a string, not an array of strings", id="config-vars-string"),
    pytest.param(_set("config_vars", ["DATABASE_URL", 3]), "add-on #2 (name 'postgresql-bad-99999')",
                 "config_vars #2 is a number, not a string", id="config-vars-mixed"),
    pytest.param(_set("attachments", {"app": "x"}), "add-on #2 (name 'postgresql-bad-99999')",
                 "attachments is an object, not an array", id="attachments-object"),
    pytest.param(_set("attachments", [{"name": "DATABASE"}]), "add-on #2 (name 'postgresql-bad-99999')",
                 "attachment #1 has no app name", id="attachment-without-app"),
    pytest.param(_set("attachments", [{"app": ref("acme-web")}]), "add-on #2 (name 'postgresql-bad-99999')",
                 "attachment #1 has no name", id="attachment-without-name"),
    pytest.param(_set("plan", "heroku-postgresql:essential-0"), "add-on #2 (name 'postgresql-bad-99999')",
                 "plan is a string, not an object", id="plan-string"),
    pytest.param(_set("state", 3), "add-on #2 (name 'postgresql-bad-99999')", "state is a number, not a string", id="state-number"),
    pytest.param(_set("billed_price", {"cents": "500"}), "add-on #2 (name 'postgresql-bad-99999')",
                 "billed_price.cents is a string, not a whole number", id="cents-string"),
    pytest.param(_set("plan", {"name": "heroku-postgresql:x", "compliance": "HIPAA"}),
                 "add-on #2 (name 'postgresql-bad-99999')", "plan.compliance is a string, not an array of strings",
                 id="compliance-string"),
    pytest.param(_set("plan", ref("heroku-redis:mini")), "add-on #2 (name 'postgresql-bad-99999')",
                 "plan 'heroku-redis:mini' is not a plan of service 'heroku-postgresql'", id="plan-of-other-service"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "what", "reason"), SKIPS)
def test_bad_add_on_is_skipped_with_a_reason(mutate, what, reason):
    good = addon("postgresql-good-11111", app="acme-api")
    bad = addon("postgresql-bad-99999", app="acme-web")
    mutate(bad)
    estate = parse([good, bad])
    assert estate.skipped == [Skipped(what, reason)]
    assert [a.name for a in estate.addons.values()] == ["postgresql-good-11111"]
    # An add-on we could not read must never look gone: its app is not complete (and no app is, when
    # its app cannot be told).
    assert estate.complete_apps == ({"acme-api"} if isinstance(bad.get("app"), dict) else set())


def test_non_object_add_on_in_apps_info_is_skipped():
    value = apps_info()
    value["addons"].append("postgresql-rigid-1")
    estate = parse(value)
    assert estate.skipped == [Skipped("add-on #2", "is a string, not an object")]
    assert estate.complete_apps == set()


def test_duplicate_add_on_ids():
    same = addon("postgresql-a-1")
    changed = copy.deepcopy(same)
    changed["state"] = "deprovisioned"
    assert parse([same, copy.deepcopy(same)]).skipped == []
    estate = parse([same, changed])
    assert estate.skipped == [
        Skipped(
            "add-on #2 (name 'postgresql-a-1')",
            "same id as add-on #1 (name 'postgresql-a-1') but different details; kept add-on #1 (name 'postgresql-a-1')",
        )
    ]
    assert next(iter(estate.addons.values())).state == "provisioned"


def test_long_names_are_shortened_in_labels():
    bad = addon("p" + "x" * 300, id=...)
    (skipped,) = parse([bad]).skipped
    assert len(skipped.what) < 120 and skipped.what.endswith("…')")


def test_bad_plans_in_a_plans_file_are_skipped():
    plans = data("plans-heroku-postgresql.json")
    plans[0].pop("name")
    plans[1]["installable_inside_private_network"] = "yes"
    plans[2]["addon_service"] = ref("heroku-redis")
    plans[3]["name"] = "standard-9"  # no service prefix: taken from addon_service
    estate = parse(plans)
    assert estate.skipped == [
        Skipped("plan #1", "no name"),
        Skipped("plan #2 (name 'heroku-postgresql:essential-1')",
                "installable_inside_private_network is a string, not true/false"),
        Skipped("plan #3 (name 'heroku-postgresql:essential-2')",
                "the name says service 'heroku-postgresql' but addon_service.name is 'heroku-redis'"),
    ]  # fmt: skip
    assert "heroku-postgresql:standard-9" in estate.plans
    assert len(estate.plans) == 6


# ------------------------------------------------------------------------------------------------------
# Which apps are complete


def test_app_listing_with_foreign_add_ons_is_complete_for_that_app_only():
    own = addon("postgresql-a-1", app="acme-api")
    foreign = addon(
        "redis-b-2",
        app="acme-web",
        attachments=[{"app": ref("acme-web"), "name": "REDIS"}, {"app": ref("acme-api"), "name": "WEB_REDIS"}],
    )
    assert parse([own, foreign]).complete_apps == {"acme-api"}


def test_app_listing_with_only_a_foreign_add_on_is_complete_for_no_app():
    """`heroku addons --app acme-worker` where its only add-on is acme-web's shared database: it cannot be
    told from `--all` of a one-add-on estate, so no app is claimed complete."""
    shared = addon(
        attachments=[{"app": ref("acme-web"), "name": "DATABASE"}, {"app": ref("acme-worker"), "name": "DATABASE"}]
    )
    assert parse([shared]).complete_apps == set()


def test_single_app_listing_is_complete():
    assert parse([addon("postgresql-a-1"), addon("redis-b-2")]).complete_apps == {"acme-web"}


def test_stub_billing_app_is_never_complete():
    stub = {
        "app": ref("northwind-data"),
        "name": "postgresql-opaque-1",
        "addon_service": {},
        "plan": {},
        "attachments": [
            {
                "addon": {"id": "b1", "name": "postgresql-opaque-1", "app": ref("northwind-data")},
                "app": ref("acme-reports"),
                "name": "NORTHWIND_DATABASE",
            }
        ],
    }
    others = [addon("postgresql-a-1", app="acme-web"), addon("redis-b-2", app="acme-reports")]
    estate = parse([*others, stub])
    assert estate.addons["b1"].app == "northwind-data"
    assert estate.complete_apps == {"acme-web", "acme-reports"}


def test_stub_without_an_id_anywhere_is_skipped():
    stub = {"app": ref("northwind-data"), "name": "postgresql-opaque-1", "addon_service": {}, "plan": {}}
    estate = parse([addon("postgresql-a-1", app="acme-web"), addon("redis-b-2", app="acme-api"), stub])
    assert estate.skipped == [Skipped("add-on #3 (name 'postgresql-opaque-1')", "no id")]
    assert estate.complete_apps == {"acme-web", "acme-api"}


# ------------------------------------------------------------------------------------------------------
# Files refused whole


def test_truncated_file_names_line_and_column():
    text = raw("addons-all.json").decode()
    half = text[: len(text) // 2]
    with pytest.raises(json.JSONDecodeError) as expected:
        json.loads(half)
    with pytest.raises(HerokuFileError) as caught:
        parse_cli_json(half.encode())
    message = str(caught.value)
    assert f"line {expected.value.lineno}, column {expected.value.colno}" in message
    assert "cut off" in message


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        pytest.param(b"", "the file is empty", id="empty"),
        pytest.param(b"  \n\t", "the file is empty", id="blank"),
        pytest.param(b"Add-on  Plan  Price\n", "not valid JSON", id="table-output"),
        pytest.param(b"[{\"id\": 1,}]", "line 1, column 11", id="trailing-comma"),
        pytest.param(b"[\n  {\n    \"name\": \"x\"\n", "line 4, column 1", id="cut-after-object-start"),
        pytest.param(b"\xff\xfe\x00garbage\xff", "not UTF-8 text", id="not-utf16"),
        pytest.param(b"\x80abc", "not UTF-8 text", id="bad-utf8"),
        pytest.param(b'"heroku"', "the file holds a string", id="string"),
        pytest.param(b"42", "the file holds a number", id="number"),
        pytest.param(b"null", "the file holds null", id="null"),
        pytest.param(b"[1, 2, 3]", "entry #1 of the top-level array is a number, not an object", id="numbers"),
        pytest.param(b"[[{}]]", "entry #1 of the top-level array is an array", id="array-of-arrays"),
        pytest.param(b'[{"id": "x"}, "postgresql-a-1"]', "entry #2 of the top-level array is a string", id="mixed"),
        pytest.param(b"[{}, {}]", "neither add-ons nor plans", id="empty-objects"),
        pytest.param(b'[{"name": "acme-web", "git_url": "https://git.heroku.com/acme-web.git", "stack": {}}]',
                     "heroku apps --json", id="apps-list"),
        pytest.param(b'{"id": "x", "name": "postgresql-a-1", "addon_service": {}, "plan": {}}',
                     "single add-on", id="single-addon"),
        pytest.param(b'{"app": {"name": "acme-web"}}', "no app and addons", id="app-without-addons"),
        pytest.param(b"{}", "not heroku apps:info output", id="empty-object"),
        pytest.param(b"[" * 100_000 + b"]" * 100_000, "nested too deeply", id="deep-nesting"),
        pytest.param(b"[" + b"9" * 5000 + b"]", "not usable JSON", id="huge-integer"),
    ],
)  # fmt: skip
def test_refused_files(content, needle):
    with pytest.raises(HerokuFileError) as caught:
        parse_cli_json(content)
    assert needle in str(caught.value)


@pytest.mark.parametrize(
    "content",
    [b"{}", b"[1]", b"[{}]", b'"x"'],
)
def test_unrecognised_shapes_say_what_was_expected(content):
    with pytest.raises(HerokuFileError) as caught:
        parse_cli_json(content)
    assert EXPECTED in str(caught.value)
    assert "heroku addons --all --json" in EXPECTED and "apps:info" in EXPECTED and "addons:plans" in EXPECTED


def test_more_add_ons_than_allowed_is_refused_with_the_number():
    four = [addon(f"postgresql-a-{i}") for i in range(4)]
    with pytest.raises(HerokuFileError) as caught:
        parse(four, max_addons=3)
    assert "4 entries" in str(caught.value) and "at most 3" in str(caught.value)
    assert len(parse(four, max_addons=4).addons) == 4
    info = apps_info()
    info["addons"] = four
    with pytest.raises(HerokuFileError, match="4 add-ons"):
        parse(info, max_addons=3)


def test_herokufileerror_is_a_valueerror():
    assert issubclass(HerokuFileError, ValueError)


# ------------------------------------------------------------------------------------------------------
# estate_from_api


def test_api_skipped_add_on_makes_its_app_incomplete_and_the_sync_partial():
    raw_estate = data("api-estate.json")
    raw_estate["addons"][0]["config_vars"] = "DATABASE_URL"
    estate = estate_from_api(**raw_estate)
    assert [s.reason for s in estate.skipped] == ["config_vars is a string, not an array of strings"]
    assert estate.everything is False
    assert "acme-web" not in estate.complete_apps
    assert "acme-worker" in estate.complete_apps


def test_api_bad_attachment_leaves_that_add_ons_attachments_unknown():
    raw_estate = data("api-estate.json")
    first = raw_estate["attachments"][0]
    first["app"] = None
    estate = estate_from_api(**raw_estate)
    assert estate.skipped == [Skipped("add-on attachment #1 (name 'DATABASE')", "the attachment has no app name")]
    assert estate.addons[first["addon"]["id"]].attachments is None
    assert estate.everything is True


def test_api_add_on_without_attachments_is_attached_nowhere():
    raw_estate = data("api-estate.json")
    target = raw_estate["addons"][2]["id"]
    raw_estate["attachments"] = [a for a in raw_estate["attachments"] if a["addon"]["id"] != target]
    assert estate_from_api(**raw_estate).addons[target].attachments == ()


def test_api_tolerates_junk_entries():
    estate = estate_from_api(apps=[None, {}], spaces=["x"], addons=[[], {"id": 1}], attachments=[7], plans=[{}])
    assert estate.source == "api"
    assert [s.what for s in estate.skipped] == [
        "space #1", "plan #1", "app #1", "app #2", "add-on attachment #1", "add-on #1", "add-on #2",
    ]  # fmt: skip
    assert estate.everything is False and estate.complete_apps == set()


def test_api_empty_estate():
    estate = estate_from_api([], [], [], [], [])
    assert estate == Estate(source="api", everything=True)


# ------------------------------------------------------------------------------------------------------
# The fixtures have the shapes of the Platform API schema


def _schema_objects() -> list[tuple[str, str, Obj]]:
    """(definition, where, object) for every API object in the fixtures. Left out or adjusted, as the
    real files differ from the schema: `attachments` (the CLI adds it to add-ons), the CLI's stub for an
    add-on the user cannot read (not an API object), the deliberately unknown state `suspended`, and
    `generation` as a plain string (a CLI variant)."""
    objects: list[tuple[str, str, Obj]] = []

    def add_on(where: str, value: Obj) -> None:
        if "id" not in value:  # the CLI's stub for an add-on the user cannot read
            return
        value = copy.deepcopy(value)
        for att in value.pop("attachments", []):
            if "addon" in att:
                objects.append(("add-on-attachment", f"{where} attachment", att))
        if value["state"] not in ("provisioning", "provisioned", "deprovisioned"):
            value["state"] = "provisioned"
        objects.append(("add-on", where, value))
        if "human_name" in value["addon_service"]:
            objects.append(("add-on-service", f"{where} addon_service", value["addon_service"]))
        if "compliance" in value["plan"]:
            objects.append(("plan", f"{where} plan", value["plan"]))

    def app(where: str, value: Obj) -> None:
        if isinstance(value.get("generation"), str):
            value = {k: v for k, v in value.items() if k != "generation"}
        objects.append(("app", where, value))

    for name in ("addons-all.json", "addons-app.json"):
        for i, value in enumerate(data(name), 1):
            add_on(f"{name} #{i}", value)
    for name in ("apps-info-shield.json", "apps-info-common.json"):
        info = data(name)
        app(f"{name} app", info["app"])
        for i, value in enumerate(info["addons"], 1):
            add_on(f"{name} add-on #{i}", value)
    for i, value in enumerate(data("plans-heroku-postgresql.json"), 1):
        objects.append(("plan", f"plans #{i}", value))
    api = data("api-estate.json")
    for key, definition in (("spaces", "space"), ("attachments", "add-on-attachment"), ("plans", "plan")):
        objects.extend((definition, f"api {key} #{i}", value) for i, value in enumerate(api[key], 1))
    for i, value in enumerate(api["apps"], 1):
        app(f"api app #{i}", value)
    for i, value in enumerate(api["addons"], 1):
        add_on(f"api add-on #{i}", value)
    return objects


def test_fixture_objects_match_the_platform_api_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text())
    validators = {}
    objects = _schema_objects()
    assert {definition for definition, _, _ in objects} == {
        "add-on", "add-on-attachment", "add-on-service", "app", "plan", "space",
    }  # fmt: skip
    problems = []
    for definition, where, value in objects:
        if definition not in validators:
            root = {"$ref": f"#/definitions/{definition}", "definitions": schema["definitions"]}
            validators[definition] = jsonschema.Draft4Validator(root)
        problems += [f"{where}: {error.message}" for error in validators[definition].iter_errors(value)]
    assert problems == []


def test_schema_check_catches_a_wrong_shape():
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA_FILE.read_text())
    validator = jsonschema.Draft4Validator({"$ref": "#/definitions/plan", "definitions": schema["definitions"]})
    plan = data("plans-heroku-postgresql.json")[0]
    assert not list(validator.iter_errors(plan))
    plan["compliance"] = ["SOX"]
    plan["price"]["cents"] = "5"
    assert len(list(validator.iter_errors(plan))) == 2


# ------------------------------------------------------------------------------------------------------
# Properties: nothing but HerokuFileError, and the same answer every time

KEYS = st.sampled_from(
    [
        "id", "name", "app", "addons", "plan", "addon_service", "attachments", "config_vars", "state",
        "compliance", "space", "region", "generation", "shield", "team", "price", "billed_price", "cents",
        "unit", "contract", "addon", "installable_inside_private_network", "default", "human_name",
    ]
)  # fmt: skip
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12)
JSON = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(KEYS | st.text(max_size=6), children, max_size=6),
    max_leaves=40,
)
ADDON_LIKE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.text(max_size=4) | JSON,
        "name": st.text(max_size=4) | JSON,
        "app": st.fixed_dictionaries({"name": st.text(max_size=4) | JSON}) | JSON,
        "addon_service": st.fixed_dictionaries({}, optional={"name": st.text(max_size=10), "id": JSON}) | JSON,
        "plan": st.fixed_dictionaries(
            {}, optional={"name": st.sampled_from(["a:b", "b", "", "heroku-postgresql:x"]) | JSON, "compliance": JSON}
        )
        | JSON,
        "attachments": st.lists(
            st.fixed_dictionaries({}, optional={"app": JSON, "name": JSON, "addon": JSON}) | JSON, max_size=3
        )
        | JSON,
        "config_vars": st.lists(st.text(max_size=5)) | JSON,
        "state": JSON,
        "billed_price": JSON,
    },
)

PROPERTY = settings(deadline=None, max_examples=300, suppress_health_check=[HealthCheck.too_slow])


def _parse_or_refuse(content: bytes) -> Estate | str:
    try:
        return parse_cli_json(content)
    except HerokuFileError as error:
        return f"refused: {error}"


@PROPERTY
@given(JSON)
def test_any_json_is_parsed_or_refused_with_herokufileerror(value):
    content = json.dumps(value).encode()
    first = _parse_or_refuse(content)
    assert _parse_or_refuse(content) == first


@PROPERTY
@given(st.lists(ADDON_LIKE, max_size=6))
def test_add_on_like_arrays_are_parsed_or_refused(values):
    content = json.dumps(values).encode()
    first = _parse_or_refuse(content)
    assert _parse_or_refuse(content) == first
    if isinstance(first, Estate) and first.source == "addons":
        addon_skips = [s for s in first.skipped if s.what.startswith("add-on #")]
        assert len(first.addons) + len(addon_skips) <= len(values)


@PROPERTY
@given(st.fixed_dictionaries({"app": st.dictionaries(KEYS, JSON, max_size=6), "addons": JSON}))
def test_apps_info_like_objects_are_parsed_or_refused(value):
    content = json.dumps(value).encode()
    assert _parse_or_refuse(content) == _parse_or_refuse(content)


FIXTURE_ADDONS = data("addons-all.json")


@PROPERTY
@given(st.integers(0, len(FIXTURE_ADDONS) - 1), KEYS, JSON)
def test_a_damaged_add_on_never_sinks_the_file_nor_looks_gone(index, key, value):
    values = copy.deepcopy(FIXTURE_ADDONS)
    values[index][key] = value
    estate = parse(values)
    assert estate == parse(values)
    addon_skips = [s for s in estate.skipped if s.what.startswith("add-on #")]
    # Every entry is either read or skipped with a reason.
    assert len(estate.addons) + len(addon_skips) == len(values)
    for skipped in addon_skips:
        entry = values[int(skipped.what.split("#")[1].split(" ")[0]) - 1]
        app = entry.get("app")
        if "same id as" in skipped.reason:  # the first one was read
            continue
        if isinstance(app, dict) and isinstance(app.get("name"), str):
            assert app["name"] not in estate.complete_apps
        else:
            assert estate.complete_apps == set()


@PROPERTY
@given(st.lists(JSON, max_size=3), st.lists(JSON, max_size=3), st.lists(JSON | ADDON_LIKE, max_size=4),
       st.lists(JSON, max_size=3), st.lists(JSON, max_size=3))  # fmt: skip
def test_estate_from_api_never_raises(apps, spaces, addons, attachments, plans):
    estate = estate_from_api(apps, spaces, addons, attachments, plans)
    assert estate == estate_from_api(apps, spaces, addons, attachments, plans)
    assert estate.source == "api"
