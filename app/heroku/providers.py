"""Who stands behind well-known Heroku add-on services: the vendor an imported service is mapped to.

Data only. A service not listed here gets a vendor named after it (country to be checked), and any
mapping can be changed afterwards (`PATCH /api/v1/heroku/services/{id}`).
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Provider:
    legal_name: str
    name: str
    country: str
    website: str | None = None


_SALESFORCE = Provider("Salesforce, Inc.", "Heroku", "US", "https://www.heroku.com/")

PROVIDERS: dict[str, Provider] = {
    "heroku-postgresql": _SALESFORCE,
    "heroku-redis": _SALESFORCE,
    "heroku-kafka": _SALESFORCE,
    "heroku-key-value-store": _SALESFORCE,
    "scheduler": _SALESFORCE,
    "papertrail": Provider("SolarWinds Worldwide, LLC", "Papertrail", "US", "https://www.papertrail.com/"),
    "sendgrid": Provider("Twilio Inc.", "Twilio SendGrid", "US", "https://sendgrid.com/"),
    "rediscloud": Provider("Redis Ltd.", "Redis Cloud", "US", "https://redis.io/"),
    "bonsai": Provider("One More Cloud, Inc.", "Bonsai", "US", "https://bonsai.io/"),
    "mailgun": Provider("Mailgun Technologies, Inc.", "Mailgun", "US", "https://www.mailgun.com/"),
    "newrelic": Provider("New Relic, Inc.", "New Relic", "US", "https://newrelic.com/"),
    "sentry": Provider("Functional Software, Inc.", "Sentry", "US", "https://sentry.io/"),
    "cloudamqp": Provider("84codes AB", "CloudAMQP", "SE", "https://www.cloudamqp.com/"),
    "cloudinary": Provider("Cloudinary Ltd.", "Cloudinary", "US", "https://cloudinary.com/"),
}

# A service nobody has mapped yet: most marketplace providers are US companies, but the vendor record
# says so only as an assumption to be checked (the import report lists every vendor it created).
ASSUMED_COUNTRY = "US"


def provider_for(service: str, human_name: str | None) -> Provider:
    known = PROVIDERS.get(service)
    if known is not None:
        return known
    label = human_name or service
    return Provider(f"{label} (Heroku add-on provider: {service})", label, ASSUMED_COUNTRY)
