"""A small estate with every kind of flow, built through the register's own services and API:
an add-on on an app, a PHI app whose add-on inherits PHI, a SaaS tool sending customer data to India,
a shadow add-on, a retired integration that no longer flows, and the agreements on file."""

from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from sqlmodel import Session

from app.heroku.models import AddonInstallation, AddonPlan, AddonService, HerokuApp
from app.integrations.models import Integration
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import make_integration, make_vendor

AWS = "Amazon Web Services"


@dataclass(frozen=True)
class FixtureEstate:
    heroku: int  # vendor ids
    papertrail: int
    zendesk: int
    mailgun: int
    logs: int  # integration ids
    support: int
    mail: int
    retired: int
    shadow: int  # add-on installation id
    zendesk_dpa: int  # document ids
    mailgun_dpa: int


def set_status(db: Session, integration_id: int, status: str) -> None:
    integration = db.get(Integration, integration_id)
    assert integration is not None
    integration.status = status
    db.flush()


def make_fixture_estate(db: Session, client: TestClient, **names: Any) -> FixtureEstate:
    heroku = make_vendor(db, legal_name="Salesforce Heroku Inc.", name=names.get("heroku", "Heroku"), country="US",
                         data_locations=["US"], subprocessors=[{"name": AWS, "purpose": "Hosting", "country": "US"}])
    papertrail = make_vendor(db, legal_name="Papertrail Inc.", name=names.get("papertrail", "Papertrail"), country="US",
                             data_locations=["US"], subprocessors=[{"name": AWS, "purpose": "Hosting", "country": "US"}])
    zendesk = make_vendor(db, legal_name="Zendesk Inc.", name=names.get("zendesk", "Zendesk"), country="US",
                          data_locations=["IE"], subprocessors=[
                              {"name": AWS, "purpose": "Hosting", "country": "IE"},
                              {"name": "Support Co", "purpose": "Tier-1 support", "country": "IN"}])
    mailgun = make_vendor(db, legal_name="Mailgun Technologies Inc.", name=names.get("mailgun", "Mailgun"), country="US",
                          data_locations=["US"], subprocessors=[])
    web = HerokuApp(name="acme-web", region="eu", space_known=True, data_categories=[])
    db.add(web)
    clinic = HerokuApp(name="acme-clinic", region="virginia", space_known=True, data_categories=["phi"])
    db.add(clinic)
    db.flush()
    logs = make_integration(db, papertrail, name="Papertrail on acme-web", kind="heroku_addon", heroku_app="acme-web",
                            addon_plan="papertrail:choklad", data_categories=["logs_telemetry"], fields_shared=[],
                            transfer_countries=["US"], data_filtering="A scrubber drops e-mail addresses")
    support = make_integration(db, zendesk, name=names.get("support", "Zendesk support"), kind="saas",
                               data_categories=["customer_personal"], transfer_countries=["IN"],
                               data_filtering="Only the ticket subject and the requester's e-mail")
    mail = make_integration(db, mailgun, name="Mailgun on acme-clinic", kind="heroku_addon", heroku_app="acme-clinic",
                            addon_plan="mailgun:starter", data_categories=["business_contact"],
                            transfer_countries=["US"], data_filtering=None, fields_shared=[])
    retired = make_integration(db, zendesk, name="Old ticket export", data_categories=["customer_personal"],
                               transfer_countries=["BR"])
    set_status(db, logs.id, "approved")  # type: ignore[arg-type]
    set_status(db, retired.id, "retired")  # type: ignore[arg-type]
    service = AddonService(name="heroku-redis", vendor_id=heroku.id)  # type: ignore[arg-type]
    db.add(service)
    db.flush()
    plan = AddonPlan(name="heroku-redis:mini", service_id=service.id)  # type: ignore[arg-type]
    db.add(plan)
    db.flush()
    shadow = AddonInstallation(heroku_id="add0c0de-0000-4000-8000-000000000001", name="redis-shadowy-1",
                               app_id=web.id, service_id=service.id, plan_id=plan.id)  # type: ignore[arg-type]
    gone = AddonInstallation(heroku_id="add0c0de-0000-4000-8000-000000000002", name="redis-gone-2",
                             app_id=web.id, service_id=service.id, plan_id=plan.id)  # type: ignore[arg-type]
    db.add_all([shadow, gone])
    db.flush()
    from app.core.db import utcnow

    gone.gone_at = utcnow()
    db.commit()
    zendesk_dpa = upload(client, zendesk.id, type="dpa", title="Zendesk DPA", effective_on="2025-01-01")  # type: ignore[arg-type]
    assert zendesk_dpa.status_code == 201, zendesk_dpa.text
    mailgun_dpa = upload(client, mailgun.id, type="dpa", title="Mailgun DPA", transfer_mechanism="dpf",  # type: ignore[arg-type]
                         effective_on="2025-01-01", content=pdf_bytes("Mailgun DPA"))
    assert mailgun_dpa.status_code == 201, mailgun_dpa.text
    return FixtureEstate(
        heroku=heroku.id, papertrail=papertrail.id, zendesk=zendesk.id, mailgun=mailgun.id,  # type: ignore[arg-type]
        logs=logs.id, support=support.id, mail=mail.id, retired=retired.id, shadow=shadow.id,  # type: ignore[arg-type]
        zendesk_dpa=zendesk_dpa.json()["id"], mailgun_dpa=mailgun_dpa.json()["id"],
    )


def expected_edges(e: FixtureEstate) -> set[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    """(source, target, data categories, flag codes) of every edge of the whole-estate map."""
    aws_us, aws_ie, support_co = "subprocessor:amazon web services|US", "subprocessor:amazon web services|IE", \
        "subprocessor:support co|IN"
    return {
        ("app:acme-web", f"integration:{e.logs}", ("logs_telemetry",), ()),
        (f"integration:{e.logs}", f"vendor:{e.papertrail}", ("logs_telemetry",), ()),
        (f"vendor:{e.papertrail}", aws_us, ("logs_telemetry",), ()),
        (f"integration:{e.support}", f"vendor:{e.zendesk}", ("customer_personal",), ("transfer_without_mechanism",)),
        (f"vendor:{e.zendesk}", aws_ie, ("customer_personal",), ()),
        (f"vendor:{e.zendesk}", support_co, ("customer_personal",), ("transfer_without_mechanism",)),
        ("app:acme-clinic", f"integration:{e.mail}", ("business_contact", "phi"), ()),
        (f"integration:{e.mail}", f"vendor:{e.mailgun}", ("business_contact", "phi"), ("phi_without_baa",)),
        ("app:acme-web", f"addon:{e.shadow}", (), ("shadow_addon",)),
        (f"addon:{e.shadow}", f"vendor:{e.heroku}", (), ()),
    }


def edges_of(body: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...], tuple[str, ...]]]:
    return {(e["source"], e["target"], tuple(e["data_categories"]), tuple(sorted(f["code"] for f in e["flags"])))
            for e in body["edges"]}
