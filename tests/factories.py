"""Factories: plain functions that make valid rows, with overrides."""

import itertools
from typing import Any

from sqlmodel import Session

from app.audit.service import Actor
from app.auth import service as auth_service
from app.auth.models import Role, User
from app.integrations import service as integration_service
from app.integrations.models import Integration
from app.integrations.schemas import IntegrationCreate
from app.vendors import service as vendor_service
from app.vendors.models import Vendor
from app.vendors.schemas import VendorCreate

_seq = itertools.count(1)


def vendor_payload(**overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {
        "legal_name": f"Vendor {n} Ltd",
        "name": f"Vendor {n}",
        "website": f"https://vendor{n}.example.com/",
        "country": "IE",
        "data_locations": ["IE", "DE"],
        "subprocessors": [{"name": "Amazon Web Services", "purpose": "Hosting", "country": "IE"}],
        "contacts": [{"name": "Privacy office", "email": f"privacy@vendor{n}.example.com", "role": "dpo"}],
    } | overrides


TEST_ACTOR = Actor.system("tests")


def make_vendor(session: Session, **overrides: Any) -> Vendor:
    return vendor_service.create_vendor(session, actor=TEST_ACTOR, data=VendorCreate(**vendor_payload(**overrides)))


def integration_payload(vendor_id: int, **overrides: Any) -> dict[str, Any]:
    n = next(_seq)
    return {
        "vendor_id": vendor_id,
        "name": f"Integration {n}",
        "kind": "saas",
        "purpose": "Customer support ticketing",
        "data_categories": ["customer_personal"],
        "access": "read",
        "volume": "lt_100k",
        "data_filtering": "Only ticket subject and requester e-mail are synced",
        "fields_shared": ["email", "subject"],
        "transfer_countries": ["US"],
        "business_criticality": "medium",
        "substitutability": "easy",
    } | overrides


def make_integration(
    session: Session, vendor: Vendor | None = None, *, actor: Actor = TEST_ACTOR, **overrides: Any
) -> Integration:
    vendor = vendor or make_vendor(session)
    assert vendor.id is not None
    data = IntegrationCreate(**integration_payload(vendor.id, **overrides))
    return integration_service.create_integration(session, actor=actor, data=data)


def make_user(session: Session, role: Role | str = Role.admin, **overrides: Any) -> User:
    n = next(_seq)
    values = {"email": f"user{n}@riskreg.test", "name": f"User {n}", "password": None} | overrides
    return auth_service.create_user(session, actor=TEST_ACTOR, role=Role(role), **values)


def make_token(session: Session, user: User, **overrides: Any) -> str:
    values = {"name": f"token {next(_seq)}", "expires_in_days": None} | overrides
    return auth_service.create_token(session, actor=TEST_ACTOR, user=user, **values).secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}
