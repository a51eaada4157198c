"""A deterministic, realistic Heroku estate as raw Platform API objects (shapes of the API's own schema).

`make_estate(apps=60, addons=300, seed=7)` gives apps in the Common Runtime, one private space and one
Shield space; add-ons of the usual services (a few shared with a second app, a few in unknown states,
a few on plans Heroku's catalogue does not know); their attachments; and the plan catalogue.
"""

import copy
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

Obj = dict[str, Any]

EPOCH = datetime(2021, 3, 1, tzinfo=UTC)
TEAM_NAMES = ("acme-platform", "acme-data", "acme-payments")
PRIVATE_SPACE = "acme-private"
SHIELD_SPACE = "acme-shield"
UNKNOWN_STATES = ("suspended", "deprovisioning", "errored")
COLOURS = ("AMBER", "BLUE", "COBALT", "CRIMSON", "GOLD", "GREEN", "IVORY", "JADE", "ONYX", "PURPLE", "SILVER")
APP_WORDS = ("billing", "checkout", "search", "ledger", "portal", "reports", "notify", "auth", "catalog",
             "claims", "records", "intake", "ingest", "export", "admin", "gateway", "sync", "triage")
APP_KINDS = ("api", "web", "worker", "jobs", "etl")
NAME_WORDS = ("curved", "silent", "rugged", "amber", "shiny", "solid", "fluffy", "angular", "cubic", "tranquil")


@dataclass(frozen=True)
class PlanSpec:
    plan: str  # the part after "service:"
    human_name: str
    cents: int
    compliance: tuple[str, ...] | None  # None: the catalogue says null
    inside: bool  # installable_inside_private_network
    outside: bool  # installable_outside_private_network
    contract: bool = False


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    human_name: str
    weight: int  # how common the service is in an estate
    attachment: str  # the attachment name on the first app, e.g. DATABASE
    config_suffixes: tuple[str, ...]  # config vars: attachment name + suffix
    plans: tuple[PlanSpec, ...]
    sharable: bool = True


def _p(plan: str, human: str, cents: int, compliance: tuple[str, ...] | None = None, *,
       inside: bool | None = None, outside: bool | None = None, contract: bool = False) -> PlanSpec:
    """Defaults follow Heroku: shield-*/private-* plans only inside a private network, others only outside."""
    private = plan.startswith(("shield-", "private-"))
    return PlanSpec(plan, human, cents, compliance, private if inside is None else inside,
                    (not private) if outside is None else outside, contract)


HIPAA_PCI = ("HIPAA", "PCI")

CATALOGUE: tuple[ServiceSpec, ...] = (
    ServiceSpec("heroku-postgresql", "Heroku Postgres", 24, "DATABASE", ("_URL",), (
        _p("essential-0", "Essential 0", 500, None),
        _p("essential-1", "Essential 1", 900, None),
        _p("standard-0", "Standard 0", 5000, ()),
        _p("standard-2", "Standard 2", 20000, ()),
        _p("premium-0", "Premium 0", 20000, ()),
        _p("private-0", "Private 0", 30000, ()),
        _p("private-2", "Private 2", 60000, ()),
        _p("shield-0", "Shield 0", 35000, HIPAA_PCI),
        _p("shield-2", "Shield 2", 70000, HIPAA_PCI),
    )),
    ServiceSpec("heroku-redis", "Heroku Key-Value Store", 14, "REDIS", ("_URL", "_TLS_URL"), (
        _p("mini", "Mini", 300, None),
        _p("premium-0", "Premium 0", 1500, ()),
        _p("premium-3", "Premium 3", 6000, ()),
        _p("private-3", "Private 3", 9000, ()),
        _p("shield-3", "Shield 3", 10000, HIPAA_PCI),
    )),
    ServiceSpec("papertrail", "Papertrail", 12, "PAPERTRAIL", ("_API_TOKEN",), (
        _p("choklad", "Choklad", 0, None, inside=False),
        _p("fixa", "Fixa", 1800, (), inside=True),
        _p("ludvig", "Ludvig", 7500, (), inside=True),
    ), sharable=False),
    ServiceSpec("sendgrid", "Twilio SendGrid", 8, "SENDGRID", ("_API_KEY", "_USERNAME", "_PASSWORD"), (
        _p("starter", "Starter", 0, None),
        _p("bronze", "Bronze", 995, None),
        _p("silver", "Silver", 7995, None, inside=True),
    ), sharable=False),
    ServiceSpec("mailgun", "Mailgun", 6, "MAILGUN", ("_API_KEY", "_DOMAIN", "_SMTP_LOGIN"), (
        _p("starter", "Starter", 0, ()),
        _p("basic", "Basic", 3500, (), inside=True),
    ), sharable=False),
    ServiceSpec("cloudamqp", "CloudAMQP", 7, "CLOUDAMQP", ("_URL",), (
        _p("lemur", "Little Lemur", 0, None),
        _p("tiger", "Tough Tiger", 1900, ()),
        _p("bunny-1", "Big Bunny", 9900, (), inside=True),
        _p("private-rabbit-1", "Private Roaring Rabbit", 39900, ()),
    )),
    ServiceSpec("bucketeer", "Bucketeer", 7, "BUCKETEER", ("_AWS_ACCESS_KEY_ID", "_AWS_SECRET_ACCESS_KEY", "_BUCKET_NAME"), (
        _p("hobbyist", "Hobbyist", 500, None),
        _p("micro", "Micro", 1500, ()),
        _p("private-micro", "Private Micro", 5000, ()),
        _p("shield-micro", "Shield Micro", 10000, ("HIPAA",)),
    )),
    ServiceSpec("newrelic", "New Relic APM", 6, "NEW_RELIC", ("_LICENSE_KEY", "_LOG"), (
        _p("wayne", "Wayne", 0, None, inside=True),
        _p("hawke", "Hawke", 0, (), inside=True, contract=True),
    ), sharable=False),
    ServiceSpec("sentry", "Sentry", 6, "SENTRY", ("_DSN",), (
        _p("f1", "F1", 0, None),
        _p("m1", "M1", 2900, ()),
    ), sharable=False),
    ServiceSpec("scheduler", "Heroku Scheduler", 8, "SCHEDULER", (), (
        _p("standard", "Standard", 0, None, inside=True),
    ), sharable=False),
    ServiceSpec("heroku-kafka", "Apache Kafka on Heroku", 2, "KAFKA", ("_URL", "_CLIENT_CERT", "_TRUSTED_CERT"), (
        _p("basic-0", "Basic 0", 10000, None),
        _p("standard-0", "Standard 0", 150000, ()),
        _p("private-extended-0", "Private Extended 0", 300000, ()),
        _p("shield-extended-0", "Shield Extended 0", 350000, HIPAA_PCI),
    )),
)
# A service Heroku's catalogue no longer lists: its plan lookups answer 404 (plan unknown).
RETIRED = ServiceSpec("legacy-metrics", "Legacy Metrics", 0, "LEGACY_METRICS", ("_URL",), (
    _p("grandfathered", "Grandfathered", 1000, None, inside=True),
), sharable=False)


@dataclass
class RawEstate:
    """The raw API objects of one estate. `plans` is the whole catalogue (what the fake API serves);
    `used_plans()` is what a sync fetches."""

    apps: list[Obj] = field(default_factory=list)
    spaces: list[Obj] = field(default_factory=list)
    addons: list[Obj] = field(default_factory=list)
    attachments: list[Obj] = field(default_factory=list)
    plans: list[Obj] = field(default_factory=list)
    services: list[Obj] = field(default_factory=list)

    def used_plans(self) -> list[Obj]:
        used = {addon["plan"]["id"] for addon in self.addons}
        return [plan for plan in self.plans if plan["id"] in used]

    def api_lists(self) -> dict[str, list[Obj]]:
        """What `fetch_estate` should return for this estate (order aside)."""
        return copy.deepcopy({
            "apps": self.apps, "spaces": self.spaces, "addons": self.addons,
            "attachments": self.attachments, "plans": self.used_plans(),
        })

    def copy(self) -> "RawEstate":
        return copy.deepcopy(self)


class _Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def when(self, after: datetime = EPOCH, days: int = 1200) -> datetime:
        return after + timedelta(seconds=self.rng.randrange(days * 86400))

    @staticmethod
    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")

    def hex(self, n: int) -> str:
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))


def make_estate(
    *,
    apps: int = 60,
    addons: int = 300,
    seed: int = 7,
    shared: float = 0.12,
    private_apps: int | None = None,
    shield_apps: int | None = None,
    unknown_states: int = 3,
    deprovisioned: int = 4,
    provisioning: int = 3,
    unknown_plans: int = 2,
) -> RawEstate:
    """An estate of `apps` apps and `addons` add-ons, the same for the same arguments.

    About a tenth of the apps are in the private space and another tenth in the Shield space (or the
    counts given). A space app gets plans installable inside a private network, preferring shield-* or
    private-* plans for Heroku's data services; a Common Runtime app gets plans installable outside.
    About `shared` of the add-ons are also attached to a second app — possibly one in a space, which is
    the boundary crossing the register exists to notice. Deprovisioned add-ons have no attachments.
    """
    if apps < 1:
        raise ValueError("an estate needs at least one app")
    m = _Maker(seed)
    estate = RawEstate()
    teams = {name: m.uid() for name in TEAM_NAMES}
    regions = {name: m.uid() for name in ("us", "eu", "virginia", "oregon")}
    cedar = {"id": m.uid(), "name": "cedar"}
    stacks = {"id": m.uid(), "name": "heroku-24"}

    # --- services and the plan catalogue ---
    service_ids: dict[str, str] = {}
    plan_objs: dict[str, Obj] = {}  # "service:plan" -> plan object
    for spec in (*CATALOGUE, RETIRED):
        service_ids[spec.name] = m.uid()
        created = m.when(EPOCH - timedelta(days=3000), 2000)
        if spec is not RETIRED:
            estate.services.append({
                "cli_plugin_name": None, "created_at": m.stamp(created), "human_name": spec.human_name,
                "id": service_ids[spec.name], "name": spec.name, "state": "ga",
                "supports_multiple_installations": spec.name != "scheduler", "supports_sharing": spec.sharable,
                "updated_at": m.stamp(m.when(created, 400)),
                "supported_generations": [dict(cedar)],
            })
        first_private = next((p.plan for p in spec.plans if p.plan.startswith("private-")), None)
        for index, p in enumerate(spec.plans):
            name = f"{spec.name}:{p.plan}"
            plan = {
                "addon_service": {"id": service_ids[spec.name], "name": spec.name},
                "created_at": m.stamp(created),
                "compliance": None if p.compliance is None else list(p.compliance),
                "default": index == 0,
                "description": f"{spec.human_name} {p.human_name}",
                "human_name": p.human_name,
                "id": m.uid(),
                "installable_inside_private_network": p.inside,
                "installable_outside_private_network": p.outside,
                "name": name,
                "price": {"cents": p.cents, "contract": p.contract, "unit": "month"},
                "space_default": p.plan == first_private,
                "state": "public",
                "updated_at": m.stamp(m.when(created, 600)),
                "visible": True,
            }
            plan_objs[name] = plan
            if spec is not RETIRED:
                estate.plans.append(plan)

    # --- spaces ---
    spaces: dict[str, Obj] = {}
    for name, shield, team, region, cidr in (
        (PRIVATE_SPACE, False, "acme-platform", "virginia", "10.0.0.0/16"),
        (SHIELD_SPACE, True, "acme-payments", "virginia", "10.16.0.0/16"),
    ):
        created = m.when(EPOCH, 200)
        spaces[name] = {
            "created_at": m.stamp(created), "id": m.uid(), "name": name,
            "organization": {"name": team}, "team": {"id": teams[team], "name": team},
            "region": {"id": regions[region], "name": region}, "shield": shield, "state": "allocated",
            "updated_at": m.stamp(m.when(created, 300)), "cidr": cidr, "data_cidr": "10.1.0.0/16",
            "generation": dict(cedar),
        }
    estate.spaces = list(spaces.values())

    # --- apps ---
    n_private = private_apps if private_apps is not None else max(1, apps // 10) if apps >= 3 else 0
    n_shield = shield_apps if shield_apps is not None else max(1, apps // 10) if apps >= 3 else 0
    placement = [PRIVATE_SPACE] * n_private + [SHIELD_SPACE] * n_shield
    placement += [None] * (apps - len(placement))
    m.rng.shuffle(placement)
    app_space: dict[str, str | None] = {}
    used_names: set[str] = set()
    for i in range(apps):
        space_name = placement[i]
        name = f"acme-{m.rng.choice(APP_WORDS)}-{m.rng.choice(APP_KINDS)}-{i:04d}"
        assert name not in used_names and len(name) <= 30
        used_names.add(name)
        if space_name is None:
            team = m.rng.choice(TEAM_NAMES)
            region = "us" if m.rng.random() < 0.8 else "eu"
        else:
            team = spaces[space_name]["team"]["name"]
            region = spaces[space_name]["region"]["name"]
        created = m.when()
        released = m.when(created, 200)
        app = {
            "acm": m.rng.random() < 0.7,
            "archived_at": None,
            "buildpack_provided_description": m.rng.choice(("Python", "Node.js", "Ruby", "Java")),
            "build_stack": dict(stacks),
            "created_at": m.stamp(created),
            "generation": dict(cedar),
            "git_url": f"https://git.heroku.com/{name}.git",
            "id": m.uid(),
            "internal_routing": (m.rng.random() < 0.2) if space_name else None,
            "maintenance": m.rng.random() < 0.03,
            "name": name,
            "owner": {"email": f"{team}@herokumanager.com", "id": m.uid()},
            "organization": {"id": teams[team], "name": team},
            "team": {"id": teams[team], "name": team},
            "region": {"id": regions[region], "name": region},
            "released_at": m.stamp(released),
            "repo_size": None,
            "slug_size": m.rng.randrange(20_000_000, 300_000_000),
            "space": None if space_name is None else {
                "id": spaces[space_name]["id"], "name": space_name, "shield": spaces[space_name]["shield"],
            },
            "stack": dict(stacks),
            "updated_at": m.stamp(m.when(released, 60)),
            "web_url": f"https://{name}-{m.hex(12)}.herokuapp.com/",
        }
        app_space[name] = space_name
        estate.apps.append(app)

    # --- add-ons and attachments ---
    attachment_names: dict[str, set[str]] = {app["name"]: set() for app in estate.apps}
    service_weights = [spec.weight for spec in CATALOGUE]

    def attachment_name(app_name: str, spec: ServiceSpec) -> str:
        taken = attachment_names[app_name]
        candidates = [spec.attachment] + [f"{spec.attachment}_{c}" for c in COLOURS]
        if spec.name == "heroku-postgresql":
            candidates = [spec.attachment] + [f"HEROKU_POSTGRESQL_{c}" for c in COLOURS]
        for candidate in candidates:
            if candidate not in taken:
                taken.add(candidate)
                return candidate
        n = 2
        while f"{spec.attachment}_{n}" in taken:
            n += 1
        taken.add(f"{spec.attachment}_{n}")
        return f"{spec.attachment}_{n}"

    def pick_plan(spec: ServiceSpec, space_name: str | None) -> PlanSpec:
        if space_name is None:
            fitting = [p for p in spec.plans if p.outside]
        else:
            fitting = [p for p in spec.plans if p.inside]
            preferred = "shield-" if space_name == SHIELD_SPACE else "private-"
            best = [p for p in fitting if p.plan.startswith(preferred)]
            if best and m.rng.random() < 0.85:
                fitting = best
        return m.rng.choice(fitting or list(spec.plans))

    # Which add-ons get which unusual state: fixed positions spread over the list, so counts are exact.
    n_addons = max(0, addons)
    special = list(range(n_addons))
    m.rng.shuffle(special)
    states: dict[int, str] = {}
    cursor = 0
    for state, count in (("deprovisioned", deprovisioned), ("provisioning", provisioning)):
        for index in special[cursor:cursor + count]:
            states[index] = state
        cursor += count
    for k, index in enumerate(special[cursor:cursor + unknown_states]):
        states[index] = UNKNOWN_STATES[k % len(UNKNOWN_STATES)]
    cursor += unknown_states
    retired = set(special[cursor:cursor + unknown_plans])

    addon_names: set[str] = set()
    for i in range(n_addons):
        billing_app = estate.apps[i % apps] if i < apps else m.rng.choice(estate.apps)
        app_name = billing_app["name"]
        space_name = app_space[app_name]
        spec = RETIRED if i in retired else m.rng.choices(CATALOGUE, weights=service_weights)[0]
        p = pick_plan(spec, space_name)
        plan = plan_objs[f"{spec.name}:{p.plan}"]
        state = states.get(i, "provisioned")
        short = spec.name.removeprefix("heroku-")
        while True:
            addon_name = f"{short}-{m.rng.choice(NAME_WORDS)}-{m.rng.randrange(10000, 99999)}"
            if addon_name not in addon_names:
                addon_names.add(addon_name)
                break
        created = max(m.when(), datetime.strptime(billing_app["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC))
        addon_id = m.uid()
        first = attachment_name(app_name, spec) if state != "deprovisioned" else spec.attachment
        billed = None if (p.contract or state == "deprovisioned") else dict(plan["price"])
        web_url = None if spec.name == "scheduler" else f"https://addons-sso.heroku.com/apps/{billing_app['id']}/addons/{addon_id}"
        addon = {
            "actions": [],
            "addon_service": {"id": service_ids[spec.name], "name": spec.name},
            "billing_entity": {"id": billing_app["id"], "name": app_name, "type": "app"},
            "app": {"id": billing_app["id"], "name": app_name},
            "billed_price": billed,
            "config_vars": [first + suffix for suffix in spec.config_suffixes] if state != "deprovisioned" else [],
            "created_at": m.stamp(created),
            "id": addon_id,
            "name": addon_name,
            "plan": {"id": plan["id"], "name": plan["name"]},
            "provider_id": f"resource{m.rng.randrange(10_000_000, 99_999_999)}@heroku.com",
            "state": state,
            "updated_at": m.stamp(m.when(created, 90)),
            "web_url": web_url,
        }
        estate.addons.append(addon)
        if state == "deprovisioned":
            continue
        ref = {"id": addon_id, "name": addon_name, "app": {"id": billing_app["id"], "name": app_name}}
        targets = [(billing_app, first)]
        if spec.sharable and apps > 1 and m.rng.random() < shared:
            other = m.rng.choice([a for a in estate.apps if a["name"] != app_name])
            targets.append((other, attachment_name(other["name"], spec)))
        for target, att_name in targets:
            attached = m.when(created, 30)
            estate.attachments.append({
                "addon": copy.deepcopy(ref),
                "app": {"id": target["id"], "name": target["name"]},
                "created_at": m.stamp(attached),
                "id": m.uid(),
                "name": att_name,
                "namespace": None,
                "updated_at": m.stamp(attached),
                "web_url": web_url,
                "log_input_url": None,
            })
    return estate
