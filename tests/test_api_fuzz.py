"""Schemathesis over the app's own OpenAPI document: no 5xx, and every response matches the schema.

It walks every documented route, so it grows with every route later issues add.
"""

from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings

from app.main import create_app
from tests.conftest import bind_to

APP = create_app(load_questionnaires=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture
def bound_app(connection: object) -> Iterator[FastAPI]:
    yield bind_to(APP, connection)
    APP.dependency_overrides.clear()


# Exports build whole files per call: fewer examples there keep the suite's time in bounds while every
# parameter still gets exercised.
EXPORTS = "^/api/v1/exports/"


def _check(case, auth_headers) -> None:
    # Signed in as an admin, so every route is reached (the route × role walk covers refusals).
    # Business rules the schema cannot express (a cursor we issued, an ETag, cross-field rules) may
    # refuse schema-valid input with a 4xx; every other check, negative-data rejection included, runs.
    case.call_and_validate(
        headers=auth_headers("admin"), excluded_checks=[schemathesis.checks.positive_data_acceptance]
    )


@schema.exclude(path_regex=EXPORTS).parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case, bound_app, auth_headers):
    _check(case, auth_headers)


@schema.include(path_regex=EXPORTS).parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck))
def test_exports_conform_to_their_schema(case, bound_app, auth_headers):
    _check(case, auth_headers)
