"""The demo company's Heroku estate, as an import would see it: the approved add-ons of the demo
integrations, one installed on another plan than the one approved, and two shadow add-ons nobody
asked for.

Data only, shaped as `app.heroku.estate` values so it goes through the real importer.
"""

from app.heroku.estate import AddonFacts, AppFacts, AttachmentFacts, Estate, PlanFacts, Price, SpaceFacts

SHIELD_SPACE = "acme-shield-virginia"
# Apps and what they hold (ours to say): the clinic app stores PHI.
APPS = {
    "acme-api-prod": (None, ()),
    "acme-web-prod": (None, ()),
    "acme-worker-prod": (None, ()),
    "acme-staging": (None, ()),
    "acme-clinic-prod": (SHIELD_SPACE, ("phi",)),
}

_PLANS = (
    # name, compliance, installable inside a private network, monthly price in cents
    ("heroku-postgresql:standard-0", (), False, 5000),
    ("heroku-postgresql:essential-0", (), False, 500),
    ("heroku-postgresql:shield-0", ("HIPAA", "PCI"), True, 35000),
    ("heroku-redis:premium-0", (), False, 1500),
    ("papertrail:fixa", (), False, 700),
    ("papertrail:choklad", (), False, 0),
    ("sendgrid:starter", (), False, 0),
    ("rediscloud:100", (), False, 1000),
    ("newrelic:wayne", (), False, 0),
    ("sentry:team", (), False, 2600),
    ("sentry:business", (), False, 8000),
    ("cloudamqp:tiger", (), False, 1900),
    ("cloudamqp:lemur", (), False, 0),
    ("scheduler:standard", (), True, 0),
)

# heroku id suffix, add-on name, billing app, plan, attached to other apps
_ADDONS = (
    ("0001", "postgresql-amorphous-31337", "acme-api-prod", "heroku-postgresql:standard-0", ("acme-worker-prod",)),
    ("0002", "postgresql-shielded-4242", "acme-clinic-prod", "heroku-postgresql:shield-0", ()),
    ("0003", "redis-curved-2718", "acme-api-prod", "heroku-redis:premium-0", ()),
    ("0004", "papertrail-rigid-1618", "acme-api-prod", "papertrail:fixa", ()),
    ("0005", "papertrail-lively-1414", "acme-staging", "papertrail:choklad", ()),
    ("0006", "sendgrid-flat-7071", "acme-web-prod", "sendgrid:starter", ()),
    ("0007", "rediscloud-silent-1732", "acme-web-prod", "rediscloud:100", ()),
    ("0008", "newrelic-round-5772", "acme-api-prod", "newrelic:wayne", ()),
    ("0009", "sentry-sharp-6931", "acme-api-prod", "sentry:business", ()),  # approved: sentry:team; never seen
    ("0010", "cloudamqp-solid-1202", "acme-worker-prod", "cloudamqp:tiger", ()),
    ("0011", "cloudamqp-tidy-2236", "acme-staging", "cloudamqp:lemur", ()),
    # Shadow: installed without a request. The second puts PHI in a plan that is neither Shield nor HIPAA.
    ("0012", "scheduler-quiet-1097", "acme-worker-prod", "scheduler:standard", ()),
    ("0013", "postgresql-hasty-8128", "acme-clinic-prod", "heroku-postgresql:essential-0", ()),
)


def demo_estate() -> Estate:
    estate = Estate(source="addons")
    estate.spaces[SHIELD_SPACE] = SpaceFacts(SHIELD_SPACE, heroku_id="5ad0c0de-0000-4000-8000-00000000beef",
                                             shield=True, region="virginia", team="acme")
    for number, (name, (space, _data)) in enumerate(APPS.items(), start=1):
        estate.apps[name] = AppFacts(name, heroku_id=f"a99c0de0-0000-4000-8000-{number:012d}", team="acme",
                                     region="virginia" if space else "us", space=space, space_known=True,
                                     shield=space is not None)
    for name, compliance, inside, cents in _PLANS:
        estate.plans[name] = PlanFacts(name, compliance=compliance, installable_inside_private_network=inside,
                                       installable_outside_private_network=not name.endswith("shield-0"),
                                       price=Price(cents, "month", False))
    for suffix, name, app, plan, attached in _ADDONS:
        estate.addons[f"add0c0de-0000-4000-8000-00000000{suffix}"] = AddonFacts(
            heroku_id=f"add0c0de-0000-4000-8000-00000000{suffix}", name=name, app=app, service=plan.split(":")[0],
            plan=plan, state="provisioned", config_vars=(f"{name.split('-')[0].upper()}_URL",),
            attachments=tuple(AttachmentFacts(a, name.split("-")[0].upper()) for a in (app, *attached)),
        )
    estate.complete_apps = set(APPS)
    return estate
