"""A register at benchmark size: 10,000 vendors and 30,000 integrations, bulk-inserted.

Every row first passes the API's own request schemas (`VendorCreate`, `IntegrationCreate`) and the
inherent tier is computed with `inherent_exposure`, so the rows are what the API would have stored.
Deterministic: the same seed gives the same register.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Connection, insert

from app.integrations.exposure import (
    Access,
    Criticality,
    ExposureInput,
    Tier,
    Volume,
    inherent_exposure,
    parse_categories,
)
from app.integrations.models import Integration, IntegrationStatus
from app.integrations.schemas import IntegrationCreate
from app.vendors.models import Vendor, VendorStatus
from app.vendors.schemas import VendorCreate
from app.vendors.service import legal_name_key

NOW = datetime(2026, 11, 29, tzinfo=UTC)
SINCE = datetime(2023, 1, 1, tzinfo=UTC)
BATCH = 2_000

# Headquarters and data locations, weighted roughly like a European SaaS company's supplier base.
COUNTRIES: dict[str, int] = {
    "US": 30, "DE": 10, "IE": 8, "GB": 8, "FR": 5, "NL": 5, "SE": 3, "CA": 3, "IN": 3, "JP": 2,
    "AU": 2, "SG": 2, "CH": 2, "PL": 2, "ES": 2, "IT": 2, "DK": 1, "FI": 1, "IL": 1, "BR": 1,
    "AT": 1, "BE": 1, "NO": 1, "PT": 1, "CZ": 1, "EE": 1, "LT": 1, "NZ": 1, "KR": 1, "ZA": 1,
}
NAME_HEADS = [
    "Acme", "Northwind", "Blue", "Bright", "Cloud", "Data", "Delta", "Echo", "Fathom", "Glacier", "Harbor",
    "Helix", "Iron", "Juniper", "Kite", "Lumen", "Maple", "Nimbus", "Orbit", "Pine", "Quartz", "Rapid",
    "Signal", "Summit", "Tandem", "Umber", "Vector", "Willow", "Zephyr", "Atlas", "Beacon", "Cobalt",
    "Ember", "Falcon", "Granite", "Horizon", "Indigo", "Jasper", "Keystone", "Lattice", "Meridian", "Nova",
]
NAME_TAILS = [
    "Analytics", "Systems", "Labs", "Cloud", "Software", "Networks", "Mail", "Pay", "Logs", "Metrics",
    "Health", "Security", "HR", "Support", "CRM", "Search", "Storage", "Queue", "Auth", "Billing",
    "Docs", "Chat", "Monitor", "Insights", "Forms", "Sign", "Ship", "Backup", "CDN", "Identity",
]
LEGAL_SUFFIXES = ["Inc.", "Ltd", "GmbH", "B.V.", "SAS", "AB", "LLC", "Pty Ltd", "S.L.", "Oy", "ApS", "AG"]
SUBPROCESSORS = [
    ("Amazon Web Services", "Hosting"), ("Google Cloud", "Hosting"), ("Microsoft Azure", "Hosting"),
    ("Cloudflare", "CDN and DDoS protection"), ("Stripe", "Payment processing"), ("Twilio", "SMS delivery"),
    ("SendGrid", "E-mail delivery"), ("Datadog", "Monitoring"), ("Zendesk", "Customer support"),
    ("Snowflake", "Data warehouse"), ("OpenAI", "Text processing"), ("Hetzner", "Hosting"),
]
CONTACTS = {
    "dpo": "Data protection officer", "security": "Security team", "account-manager": "Account manager",
    "legal": "Legal department", "support": "Support desk",
}
STATUS_WEIGHTS = {VendorStatus.active: 60, VendorStatus.prospective: 25, VendorStatus.offboarded: 15}
INTEGRATION_STATUS_WEIGHTS = {
    IntegrationStatus.requested: 10, IntegrationStatus.in_review: 10, IntegrationStatus.approved: 50,
    IntegrationStatus.approved_with_conditions: 15, IntegrationStatus.rejected: 5, IntegrationStatus.retired: 10,
}
KIND_WEIGHTS = {"saas": 45, "heroku_addon": 25, "api": 20, "other": 10}
CATEGORY_WEIGHTS = {
    "business_contact": 40, "customer_personal": 25, "logs_telemetry": 20, "financial": 8,
    "phi": 3, "cardholder": 2, "credentials": 3, "special_category": 1,
}
ADDON_PLANS = [
    "papertrail:choklad", "heroku-postgresql:essential-0", "heroku-redis:mini", "sendgrid:starter",
    "newrelic:wayne", "scheduler:standard", "bonsai:sandbox-6", "cloudamqp:lemur", "mailgun:starter",
    "sentry:f1", "memcachier:dev", "heroku-kafka:basic-0", "logentries:le-tryit", "rollbar:free",
]
APP_TEAMS = ["acme", "billing", "crm", "portal", "ledger", "identity", "search", "notify", "reports", "intake"]
APP_ROLES = ["api", "web", "worker", "jobs", "admin", "sync"]
APP_ENVS = ["prod", "staging", "dev", "review"]
PURPOSES = [
    "Centralised application logs", "Transactional e-mail", "Customer support ticketing", "Payment processing",
    "Product analytics", "Error tracking", "Background job queue", "Full-text search", "Document signing",
    "Payroll and HR records", "Customer data warehouse", "Identity and single sign-on", "Backups",
]
FIELDS = ["email", "name", "user_id", "ip_address", "request_path", "status", "amount", "iban", "diagnosis",
          "phone", "address", "subject", "company", "token"]


def _weighted(rng: random.Random, weights: dict[Any, int]) -> Any:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _countries(rng: random.Random, k: int) -> list[str]:
    return list(dict.fromkeys(_weighted(rng, COUNTRIES) for _ in range(k)))


def _moment(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.randrange(max(1, int((end - start).total_seconds()))))


@dataclass(frozen=True)
class SeedReport:
    vendors: int
    integrations: int
    heroku_addons: int
    tiers: dict[str, int]


@cache
def _exposure(categories: tuple[str, ...], access: str, volume: str, criticality: str) -> tuple[str, str, str]:
    exposure = inherent_exposure(
        ExposureInput(
            data_categories=parse_categories(categories),
            access=Access(access),
            volume=Volume(volume),
            business_criticality=Criticality(criticality),
        )
    )
    return exposure.tier.value, exposure.driver, exposure.rules


def _vendor_rows(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    legal_names: set[str] = set()
    for vendor_id in range(1, count + 1):
        head, tail = rng.choice(NAME_HEADS), rng.choice(NAME_TAILS)
        name = f"{head}{tail.lower()}" if rng.random() < 0.3 else f"{head} {tail}"
        legal = f"{name} {rng.choice(LEGAL_SUFFIXES)}"
        while legal.lower() in legal_names:
            legal = f"{name} {rng.randrange(2, 999)} {rng.choice(LEGAL_SUFFIXES)}"
        legal_names.add(legal.lower())
        slug = name.lower().replace(" ", "")
        hq = _weighted(rng, COUNTRIES)
        payload = {
            "legal_name": legal,
            "name": name,
            "website": f"https://www.{slug}{vendor_id}.example.com/" if rng.random() < 0.9 else None,
            "country": hq,
            "data_locations": _countries(rng, rng.randint(1, 3)),
            "subprocessors": [
                {"name": sp, "purpose": purpose, "country": _weighted(rng, COUNTRIES)}
                for sp, purpose in rng.sample(SUBPROCESSORS, rng.randint(0, 3))
            ],
            "contacts": [
                {"name": CONTACTS[role], "email": f"{role}@{slug}{vendor_id}.example.com", "role": role}
                for role in rng.sample(list(CONTACTS), rng.randint(1, 2))
            ],
        }
        row = VendorCreate(**payload).model_dump(mode="json")
        status = _weighted(rng, STATUS_WEIGHTS)
        created = _moment(rng, SINCE, NOW - timedelta(days=30))
        updated = _moment(rng, created, NOW)
        row.update(
            id=vendor_id,
            legal_name_key=legal_name_key(legal),
            status=status.value,
            created_at=created,
            updated_at=updated,
            version=rng.randint(1, 4),
            offboarded_at=updated if status is VendorStatus.offboarded else None,
            offboard_reason="Contract ended; data deleted per DPA" if status is VendorStatus.offboarded else None,
        )
        yield row


def _integration_rows(
    rng: random.Random, count: int, vendors: list[tuple[int, str, str, datetime, datetime]]
) -> Iterator[dict[str, Any]]:
    for integration_id in range(1, count + 1):
        vendor_id, vendor_name, vendor_status, vendor_created, vendor_until = rng.choice(vendors)
        kind = _weighted(rng, KIND_WEIGHTS)
        if rng.random() < 0.08:
            categories = ["none"]
        else:
            picks = rng.choices([1, 2, 3], weights=[60, 30, 10])[0]
            categories = list(dict.fromkeys(_weighted(rng, CATEGORY_WEIGHTS) for _ in range(picks)))
        heroku_app = addon_plan = None
        if kind == "heroku_addon":
            heroku_app = f"{rng.choice(APP_TEAMS)}-{rng.choice(APP_ROLES)}-{rng.choice(APP_ENVS)}"
            addon_plan = rng.choice(ADDON_PLANS)
            name = f"{addon_plan.split(':')[0]} on {heroku_app}"
        else:
            name = f"{vendor_name} {rng.choice(PURPOSES).split()[-1].lower()}"
        payload = {
            "vendor_id": vendor_id,
            "name": name,
            "kind": kind,
            "purpose": rng.choice(PURPOSES),
            "data_categories": categories,
            "access": _weighted(rng, {"none": 25, "read": 45, "write": 25, "admin": 5}),
            "volume": _weighted(rng, {"lt_1k": 35, "lt_100k": 40, "lt_10m": 20, "gte_10m": 5}),
            "data_filtering": "Only the fields listed are synced" if rng.random() < 0.5 else None,
            "fields_shared": rng.sample(FIELDS, rng.randint(0, 5)),
            "transfer_countries": _countries(rng, rng.randint(0, 3)),
            "business_criticality": _weighted(rng, {"low": 45, "medium": 35, "high": 15, "critical": 5}),
            "substitutability": rng.choice(["easy", "hard", "none"]),
            "heroku_app": heroku_app,
            "addon_plan": addon_plan,
        }
        row = IntegrationCreate(**payload).model_dump(mode="json")
        tier, driver, rules = _exposure(
            tuple(row["data_categories"]), row["access"], row["volume"], row["business_criticality"]
        )
        status = _weighted(rng, INTEGRATION_STATUS_WEIGHTS)
        if vendor_status == VendorStatus.offboarded:
            status = IntegrationStatus.retired  # offboarding retires every integration of the vendor
        created = _moment(rng, vendor_created, vendor_until)
        row.update(
            id=integration_id,
            status=status.value,
            inherent_tier=tier,
            inherent_rank=Tier(tier).rank,
            inherent_driver=driver,
            inherent_rules=rules,
            created_at=created,
            updated_at=_moment(rng, created, vendor_until),
            version=rng.randint(1, 3),
        )
        yield row


def _insert(connection: Connection, model: type, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            connection.execute(insert(model), batch)
            batch = []
    if batch:
        connection.execute(insert(model), batch)


def seed(connection: Connection, *, vendors: int = 10_000, integrations: int = 30_000, seed: int = 20261129) -> SeedReport:
    """Insert `vendors` and `integrations` rows into a migrated, empty database (ids from 1)."""
    rng = random.Random(seed)
    vendor_rows = list(_vendor_rows(rng, vendors))
    _insert(connection, Vendor, iter(vendor_rows))
    index = [(r["id"], r["name"], r["status"], r["created_at"], r["offboarded_at"] or NOW) for r in vendor_rows]
    addons = 0
    tiers = {tier.value: 0 for tier in Tier}

    def counted(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        nonlocal addons
        for row in rows:
            addons += row["kind"] == "heroku_addon"
            tiers[row["inherent_tier"]] += 1
            yield row

    _insert(connection, Integration, counted(_integration_rows(rng, integrations, index)))
    return SeedReport(vendors=vendors, integrations=integrations, heroku_addons=addons, tiers=tiers)
