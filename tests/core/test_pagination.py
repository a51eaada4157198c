"""The list fast path copies row fields instead of validating them: it must equal the models' output."""

import json

from app.core.pagination import PageResult, page_response
from app.integrations import service as integration_service
from app.integrations.schemas import IntegrationPublic
from app.vendors import service as vendor_service
from app.vendors.schemas import VendorPublic
from tests.factories import make_integration, make_vendor


def test_vendor_and_integration_pages_match_their_public_models(db):
    vendor = make_vendor(db, website=None, contacts=[], status="active")
    make_vendor(db, name="Second")
    make_integration(db, vendor, kind="heroku_addon", heroku_app="acme-web", addon_plan="sendgrid:starter",
                     data_filtering=None, data_categories=["phi", "credentials"])
    for page, model in (
        (vendor_service.list_vendors(db), VendorPublic),
        (integration_service.list_integrations(db), IntegrationPublic),
    ):
        fast = json.loads(page_response(model, page).body)
        assert fast["items"], model.__name__
        expected = [json.loads(model.model_validate(row, from_attributes=True).model_dump_json()) for row in page.items]
        assert fast == {"items": expected, "total": page.total, "next": page.next}


def test_an_empty_page_serialises(db):
    body = json.loads(page_response(VendorPublic, PageResult(items=[], total=0, next=None)).body)
    assert body == {"items": [], "total": 0, "next": None}
