"""The demo estate `riskreg seed-demo` loads: a fictional company, Acme, on Heroku and its vendors.

Data only. Vendor and integration fields are shaped like `VendorCreate` / `IntegrationCreate` (the
integration's `vendor_id` is filled in when seeding), so the same validation applies to demo data.
Companies and plans are real; contacts are not people and use example.com addresses. The demo
users (one per role) share a known password and exist only outside production.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DemoIntegration:
    status: str  # an IntegrationStatus value
    fields: Mapping[str, Any]  # IntegrationCreate without vendor_id


@dataclass(frozen=True)
class DemoVendor:
    fields: Mapping[str, Any]  # VendorCreate
    integrations: tuple[DemoIntegration, ...] = ()
    # Set for a vendor we used and then left: created, given its integrations, then offboarded.
    offboard_reason: str | None = None


def _aws(country: str) -> dict[str, str]:
    return {"name": "Amazon Web Services, Inc.", "purpose": "Cloud hosting", "country": country}


def _gcp(country: str) -> dict[str, str]:
    return {"name": "Google LLC (Google Cloud)", "purpose": "Cloud hosting", "country": country}


def _contacts(domain: str, *, account: bool = True) -> list[dict[str, str]]:
    contacts = [
        {"name": "Security team", "email": f"security@{domain}", "role": "security"},
        {"name": "Privacy office", "email": f"privacy@{domain}", "role": "dpo"},
    ]
    if account:
        contacts.append({"name": "Account management", "email": f"accounts@{domain}", "role": "account manager"})
    return contacts


VENDORS: tuple[DemoVendor, ...] = (
    DemoVendor(
        fields={
            "legal_name": "Salesforce, Inc.",
            "name": "Heroku",
            "website": "https://www.heroku.com/",
            "country": "US",
            "data_locations": ["US", "IE"],
            "subprocessors": [_aws("US"), _aws("IE")],
            "contacts": _contacts("heroku.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Heroku Postgres on acme-api-prod",
                    "kind": "heroku_addon",
                    "purpose": "Primary database of the customer-facing API: accounts, orders, invoices",
                    "data_categories": ["customer_personal", "financial"],
                    "access": "admin",
                    "volume": "lt_10m",
                    "data_filtering": "Card numbers never reach the database (Stripe tokens only); backups encrypted at rest",
                    "fields_shared": ["name", "email", "postal_address", "order_total", "invoice_lines"],
                    "transfer_countries": ["US"],
                    "business_criticality": "critical",
                    "substitutability": "hard",
                    "heroku_app": "acme-api-prod",
                    "addon_plan": "heroku-postgresql:standard-0",
                },
            ),
            DemoIntegration(
                status="approved_with_conditions",
                fields={
                    "name": "Heroku Postgres Shield on acme-clinic-prod",
                    "kind": "heroku_addon",
                    "purpose": "Database of the telehealth booking app: patients, appointments, clinician notes",
                    "data_categories": ["phi", "customer_personal"],
                    "access": "admin",
                    "volume": "lt_100k",
                    "data_filtering": "Clinician notes encrypted per row with a key held outside Heroku",
                    "fields_shared": ["patient_name", "date_of_birth", "appointment_reason", "clinician_notes"],
                    "transfer_countries": ["US"],
                    "business_criticality": "critical",
                    "substitutability": "hard",
                    "heroku_app": "acme-clinic-prod",
                    "addon_plan": "heroku-postgresql:shield-0",
                },
            ),
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Heroku Key-Value Store on acme-api-prod",
                    "kind": "heroku_addon",
                    "purpose": "Session store and background job queue",
                    "data_categories": ["credentials"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "Sessions hold an opaque id and a hashed refresh token; entries expire after 14 days",
                    "fields_shared": ["session_id", "refresh_token_hash", "job_payload"],
                    "transfer_countries": ["US"],
                    "business_criticality": "high",
                    "substitutability": "easy",
                    "heroku_app": "acme-api-prod",
                    "addon_plan": "heroku-redis:premium-0",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "SolarWinds Worldwide, LLC",
            "name": "Papertrail",
            "website": "https://www.papertrail.com/",
            "country": "US",
            "data_locations": ["US"],
            "subprocessors": [_aws("US")],
            "contacts": _contacts("papertrail.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved_with_conditions",
                fields={
                    "name": "Papertrail on acme-api-prod",
                    "kind": "heroku_addon",
                    "purpose": "Centralised application and router logs, searched during incidents",
                    "data_categories": ["logs_telemetry", "customer_personal"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Log drain passes through a scrubber that drops e-mail addresses, tokens and query strings",
                    "fields_shared": ["request_path", "status", "user_id", "request_id"],
                    "transfer_countries": ["US"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                    "heroku_app": "acme-api-prod",
                    "addon_plan": "papertrail:fixa",
                },
            ),
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Papertrail on acme-staging",
                    "kind": "heroku_addon",
                    "purpose": "Logs of the staging app, which runs on synthetic data only",
                    "data_categories": ["logs_telemetry"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "Staging is seeded with generated records; no production data is copied",
                    "fields_shared": ["request_path", "status"],
                    "transfer_countries": ["US"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                    "heroku_app": "acme-staging",
                    "addon_plan": "papertrail:choklad",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Twilio Inc.",
            "name": "Twilio",
            "website": "https://www.twilio.com/",
            "country": "US",
            "data_locations": ["US", "IE"],
            "subprocessors": [_aws("US"), _gcp("US")],
            "contacts": _contacts("twilio.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "SendGrid on acme-web-prod",
                    "kind": "heroku_addon",
                    "purpose": "Transactional e-mail: sign-up confirmation, password reset, receipts",
                    "data_categories": ["customer_personal", "business_contact"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "Templates rendered by SendGrid receive only the recipient and the variables they print",
                    "fields_shared": ["email", "first_name", "order_number"],
                    "transfer_countries": ["US"],
                    "business_criticality": "high",
                    "substitutability": "easy",
                    "heroku_app": "acme-web-prod",
                    "addon_plan": "sendgrid:starter",
                },
            ),
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Twilio Programmable Messaging",
                    "kind": "api",
                    "purpose": "One-time passcodes by SMS for two-factor sign-in",
                    "data_categories": ["customer_personal"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "Only the phone number and the passcode text are sent; message bodies are redacted after delivery",
                    "fields_shared": ["phone_number", "message_body"],
                    "transfer_countries": ["US"],
                    "business_criticality": "high",
                    "substitutability": "hard",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Redis Ltd.",
            "name": "Redis Cloud",
            "website": "https://redis.io/",
            "country": "US",
            "data_locations": ["IE"],
            "subprocessors": [_aws("IE"), _gcp("BE")],
            "contacts": _contacts("redis.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Redis Cloud on acme-web-prod",
                    "kind": "heroku_addon",
                    "purpose": "Cache of rendered public marketing pages and product listings",
                    "data_categories": ["none"],
                    "access": "none",
                    "volume": "lt_100k",
                    "data_filtering": "Only anonymous, public pages are cached; signed-in responses bypass the cache",
                    "fields_shared": ["page_html"],
                    "transfer_countries": ["IE"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                    "heroku_app": "acme-web-prod",
                    "addon_plan": "rediscloud:100",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "One More Cloud, Inc.",
            "name": "Bonsai",
            "website": "https://bonsai.io/",
            "country": "US",
            "data_locations": ["US"],
            "subprocessors": [_aws("US")],
            "contacts": _contacts("bonsai.example.com", account=False),
            "status": "prospective",
        },
        integrations=(
            DemoIntegration(
                status="in_review",
                fields={
                    "name": "Bonsai Elasticsearch on acme-web-prod",
                    "kind": "heroku_addon",
                    "purpose": "Full-text search over the customer directory for the support back office",
                    "data_categories": ["customer_personal", "business_contact"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Index holds name, company and city; e-mail and phone stay in Postgres",
                    "fields_shared": ["name", "company", "city"],
                    "transfer_countries": ["US"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                    "heroku_app": "acme-web-prod",
                    "addon_plan": "bonsai:standard-sm",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Mailgun Technologies, Inc.",
            "name": "Mailgun",
            "website": "https://www.mailgun.com/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_aws("US")],
            "contacts": _contacts("mailgun.example.com", account=False),
            "status": "prospective",
        },
        integrations=(
            DemoIntegration(
                status="rejected",
                fields={
                    "name": "Mailgun on acme-web-prod",
                    "kind": "heroku_addon",
                    "purpose": "Second transactional e-mail provider for marketing newsletters",
                    "data_categories": ["customer_personal"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Newsletter list export: e-mail and first name of opted-in customers",
                    "fields_shared": ["email", "first_name"],
                    "transfer_countries": ["US"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                    "heroku_app": "acme-web-prod",
                    "addon_plan": "mailgun:starter",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "New Relic, Inc.",
            "name": "New Relic",
            "website": "https://newrelic.com/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_aws("US"), _aws("DE")],
            "contacts": _contacts("newrelic.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "New Relic APM on acme-api-prod",
                    "kind": "heroku_addon",
                    "purpose": "Application performance monitoring: transaction traces, slow queries, error rates",
                    "data_categories": ["logs_telemetry"],
                    "access": "write",
                    "volume": "gte_10m",
                    "data_filtering": "High-security mode on: no request parameters, SQL recorded obfuscated",
                    "fields_shared": ["transaction_name", "duration", "sql_obfuscated"],
                    "transfer_countries": ["DE"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                    "heroku_app": "acme-api-prod",
                    "addon_plan": "newrelic:wayne",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Functional Software, Inc.",
            "name": "Sentry",
            "website": "https://sentry.io/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_gcp("US"), _gcp("DE")],
            "contacts": _contacts("sentry.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved_with_conditions",
                fields={
                    "name": "Sentry on acme-api-prod",
                    "kind": "heroku_addon",
                    "purpose": "Error tracking with stack traces and breadcrumbs",
                    "data_categories": ["logs_telemetry", "customer_personal"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "send_default_pii off; server-side scrubbing of e-mail, IP address and auth headers",
                    "fields_shared": ["stack_trace", "user_id", "release"],
                    "transfer_countries": ["DE"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                    "heroku_app": "acme-api-prod",
                    "addon_plan": "sentry:team",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "84codes AB",
            "name": "CloudAMQP",
            "website": "https://www.cloudamqp.com/",
            "country": "SE",
            "data_locations": ["IE", "DE"],
            "subprocessors": [_aws("IE"), _aws("DE")],
            "contacts": _contacts("cloudamqp.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "CloudAMQP on acme-worker-prod",
                    "kind": "heroku_addon",
                    "purpose": "Message broker between the API and the fulfilment workers",
                    "data_categories": ["customer_personal"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Messages carry order and customer ids; the workers look details up in Postgres",
                    "fields_shared": ["order_id", "customer_id", "event_type"],
                    "transfer_countries": ["IE"],
                    "business_criticality": "high",
                    "substitutability": "easy",
                    "heroku_app": "acme-worker-prod",
                    "addon_plan": "cloudamqp:tiger",
                },
            ),
            DemoIntegration(
                status="approved",
                fields={
                    "name": "CloudAMQP on acme-staging",
                    "kind": "heroku_addon",
                    "purpose": "Message broker of the staging app",
                    "data_categories": ["none"],
                    "access": "write",
                    "volume": "lt_1k",
                    "data_filtering": "Staging runs on generated data only",
                    "fields_shared": [],
                    "transfer_countries": ["IE"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                    "heroku_app": "acme-staging",
                    "addon_plan": "cloudamqp:lemur",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Cloudinary Ltd.",
            "name": "Cloudinary",
            "website": "https://cloudinary.com/",
            "country": "IL",
            "data_locations": ["US", "IE"],
            "subprocessors": [
                _aws("US"),
                _gcp("US"),
                {"name": "Akamai Technologies, Inc.", "purpose": "Content delivery network", "country": "US"},
            ],
            "contacts": _contacts("cloudinary.example.com", account=False),
            "status": "prospective",
        },
        integrations=(
            DemoIntegration(
                status="requested",
                fields={
                    "name": "Cloudinary on acme-web-prod",
                    "kind": "heroku_addon",
                    "purpose": "Resize and serve customer profile photos and product images",
                    "data_categories": ["customer_personal"],
                    "access": "write",
                    "volume": "lt_100k",
                    "data_filtering": "Photos uploaded with EXIF metadata stripped; file names are random ids",
                    "fields_shared": ["profile_photo"],
                    "transfer_countries": ["US"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                    "heroku_app": "acme-web-prod",
                    "addon_plan": "cloudinary:starter",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Stripe, Inc.",
            "name": "Stripe",
            "website": "https://stripe.com/",
            "country": "US",
            "data_locations": ["US", "IE"],
            "subprocessors": [_aws("US"), _aws("IE")],
            "contacts": _contacts("stripe.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Stripe Payments",
                    "kind": "api",
                    "purpose": "Card payments and subscriptions for the web shop",
                    "data_categories": ["cardholder", "financial", "customer_personal"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Card details go from Stripe Elements in the browser to Stripe; our servers keep tokens and the last four digits",
                    "fields_shared": ["email", "billing_address", "amount", "currency", "payment_method_token"],
                    "transfer_countries": ["US", "IE"],
                    "business_criticality": "critical",
                    "substitutability": "hard",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Zendesk, Inc.",
            "name": "Zendesk",
            "website": "https://www.zendesk.com/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_aws("US"), _aws("DE")],
            "contacts": _contacts("zendesk.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved_with_conditions",
                fields={
                    "name": "Zendesk Support",
                    "kind": "saas",
                    "purpose": "Customer support ticketing and help centre",
                    "data_categories": ["customer_personal", "business_contact"],
                    "access": "read",
                    "volume": "lt_100k",
                    "data_filtering": "The sync sends ticket subject, requester name and e-mail; order history stays in our back office",
                    "fields_shared": ["email", "name", "subject", "ticket_body"],
                    "transfer_countries": ["US", "DE"],
                    "business_criticality": "medium",
                    "substitutability": "hard",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Slack Technologies, LLC",
            "name": "Slack",
            "website": "https://slack.com/",
            "country": "US",
            "data_locations": ["US"],
            "subprocessors": [_aws("US")],
            "contacts": _contacts("slack.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Slack workspace",
                    "kind": "saas",
                    "purpose": "Staff chat and alert channels",
                    "data_categories": ["business_contact"],
                    "access": "read",
                    "volume": "lt_1k",
                    "data_filtering": "Policy: no customer data in messages; alerts link to the back office instead of quoting records",
                    "fields_shared": ["staff_name", "staff_email"],
                    "transfer_countries": ["US"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Datadog, Inc.",
            "name": "Datadog",
            "website": "https://www.datadoghq.com/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_aws("US"), _gcp("DE")],
            "contacts": _contacts("datadog.example.com"),
            "status": "prospective",
        },
        integrations=(
            DemoIntegration(
                status="in_review",
                fields={
                    "name": "Datadog log management",
                    "kind": "saas",
                    "purpose": "Replace Papertrail and New Relic with one logs, metrics and tracing tool",
                    "data_categories": ["logs_telemetry"],
                    "access": "write",
                    "volume": "gte_10m",
                    "data_filtering": "Sensitive Data Scanner rules redact e-mail, card-like numbers and bearer tokens at intake",
                    "fields_shared": ["log_line", "metric", "trace_span"],
                    "transfer_countries": ["DE"],
                    "business_criticality": "medium",
                    "substitutability": "easy",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Okta, Inc.",
            "name": "Okta",
            "website": "https://www.okta.com/",
            "country": "US",
            "data_locations": ["US", "DE"],
            "subprocessors": [_aws("US"), _aws("DE")],
            "contacts": _contacts("okta.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Okta workforce SSO",
                    "kind": "saas",
                    "purpose": "Single sign-on and MFA for staff into Heroku, GitHub and the back office",
                    "data_categories": ["credentials", "business_contact"],
                    "access": "admin",
                    "volume": "lt_1k",
                    "data_filtering": "Staff directory only; passwords are hashed by Okta and never pass through our systems",
                    "fields_shared": ["staff_name", "staff_email", "group", "mfa_factor"],
                    "transfer_countries": ["US"],
                    "business_criticality": "critical",
                    "substitutability": "hard",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Personio SE & Co. KG",
            "name": "Personio",
            "website": "https://www.personio.com/",
            "country": "DE",
            "data_locations": ["DE"],
            "subprocessors": [_aws("DE")],
            "contacts": _contacts("personio.example.com", account=False),
            "status": "prospective",
        },
        integrations=(
            DemoIntegration(
                status="requested",
                fields={
                    "name": "Personio HR",
                    "kind": "saas",
                    "purpose": "HR records, absence management and payroll preparation for staff",
                    "data_categories": ["special_category", "business_contact", "financial"],
                    "access": "admin",
                    "volume": "lt_1k",
                    "data_filtering": "Sick-leave reasons are not recorded, only dates; church-tax status needed for German payroll",
                    "fields_shared": ["staff_name", "salary", "bank_account", "sick_leave_dates", "church_tax_status"],
                    "transfer_countries": ["DE"],
                    "business_criticality": "high",
                    "substitutability": "hard",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "NCC Group plc",
            "name": "NCC Group",
            "website": "https://www.nccgroup.com/",
            "country": "GB",
            "data_locations": ["GB"],
            "subprocessors": [],
            "contacts": _contacts("nccgroup.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Annual penetration test",
                    "kind": "other",
                    "purpose": "External penetration test of the web app and API against the staging environment",
                    "data_categories": ["credentials"],
                    "access": "write",
                    "volume": "lt_1k",
                    "data_filtering": "Testers get time-limited staging accounts, revoked when the test window closes",
                    "fields_shared": ["test_account_credentials"],
                    "transfer_countries": ["GB"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                },
            ),
        ),
    ),
    DemoVendor(
        fields={
            "legal_name": "Mixpanel, Inc.",
            "name": "Mixpanel",
            "website": "https://mixpanel.com/",
            "country": "US",
            "data_locations": ["US"],
            "subprocessors": [_gcp("US")],
            "contacts": _contacts("mixpanel.example.com"),
            "status": "active",
        },
        integrations=(
            DemoIntegration(
                status="approved",
                fields={
                    "name": "Mixpanel product analytics",
                    "kind": "saas",
                    "purpose": "Funnel and retention analytics of the web shop",
                    "data_categories": ["logs_telemetry", "customer_personal"],
                    "access": "write",
                    "volume": "lt_10m",
                    "data_filtering": "Events keyed by a pseudonymous id; no names or e-mail addresses sent",
                    "fields_shared": ["distinct_id", "event", "page", "country"],
                    "transfer_countries": ["US"],
                    "business_criticality": "low",
                    "substitutability": "easy",
                },
            ),
        ),
        offboard_reason="Replaced by self-hosted analytics; Mixpanel confirmed deletion of the project data in writing.",
    ),
)


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: str  # a Role value


# One account per role, for trying the app locally. The password is public (it is printed and in
# this file), which is why seed-demo never creates these accounts in production.
DEMO_PASSWORD = "riskreg-demo-2026"
DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@riskreg.local", "Ada Admin", "admin"),
    DemoUser("security@riskreg.local", "Sam Security", "security"),
    DemoUser("procurement@riskreg.local", "Priya Procurement", "procurement"),
    DemoUser("engineer@riskreg.local", "Eli Engineer", "engineer"),
    DemoUser("legal@riskreg.local", "Lee Legal", "legal"),
    DemoUser("auditor@riskreg.local", "Aud Auditor", "auditor"),
)


@dataclass(frozen=True)
class DemoDocument:
    """An agreement or report on file for a demo vendor. Dates are days from the day of seeding, so the
    demo always shows a mix: in force, expiring soon, expired, and an auto-renewal notice deadline."""

    type: str
    title: str
    signed_days: int
    expires_days: int | None = None
    auto_renews: bool = False
    notice_days: int | None = None
    transfer_mechanism: str | None = None
    breach_notice_hours: int | None = None
    subprocessors: tuple[Mapping[str, str], ...] | None = None


DEMO_DOCUMENTS: Mapping[str, tuple[DemoDocument, ...]] = {
    "Salesforce, Inc.": (
        DemoDocument("dpa", "Heroku Data Processing Addendum", -400, 700, transfer_mechanism="dpf",
                     breach_notice_hours=48, subprocessors=(_aws("US"), _aws("IE"))),
        DemoDocument("baa", "Heroku Shield Business Associate Agreement", -300, 430),
        DemoDocument("soc2_type2", "Heroku SOC 2 Type II report", -90),
        DemoDocument("msa", "Heroku Master Subscription Agreement", -700, 40, auto_renews=True, notice_days=30),
    ),
    "SolarWinds Worldwide, LLC": (
        DemoDocument("dpa", "SolarWinds DPA (Papertrail)", -800, 45, transfer_mechanism="scc", breach_notice_hours=72,
                     subprocessors=(_aws("US"),)),
    ),
    "Twilio Inc.": (
        DemoDocument("dpa", "Twilio Data Protection Addendum", -500, 600, transfer_mechanism="bcr",
                     breach_notice_hours=48, subprocessors=(_aws("US"), _gcp("US"))),
        DemoDocument("iso27001", "Twilio ISO/IEC 27001 certificate", -200, 900),
    ),
    "Stripe, Inc.": (
        DemoDocument("dpa", "Stripe Data Processing Agreement", -600, None, transfer_mechanism="dpf",
                     breach_notice_hours=72),
        DemoDocument("pci_aoc", "Stripe PCI DSS v4.0 Attestation of Compliance", -400, -35),
    ),
    "Zendesk, Inc.": (
        DemoDocument("soc2_type2", "Zendesk SOC 2 Type II report", -420),
    ),
}
