"""Every route × every role (and no token): the outcome matches the permission table.

A route that declares no permission fails `test_every_route_declares_a_permission`, so nothing new
can slip in unguarded.
"""

import re
from typing import Annotated

import pytest
from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.auth.deps import Requires
from app.auth.models import Role
from app.auth.permissions import ROLE_PERMISSIONS, Permission
from app.main import API_ROUTERS, create_app

PUBLIC = "public"


def declared_permission(route: APIRoute) -> Permission | str | None:
    """The permission a route declares through `Requires(...)` (or `Public`), found in its dependencies."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        marker = getattr(dependant.call, "permission", "absent")
        if marker is None:
            return PUBLIC
        if isinstance(marker, Permission):
            return marker
        stack.extend(dependant.dependencies)
    return None


def api_routes() -> list[APIRoute]:
    return [route for router in API_ROUTERS for route in router.routes if isinstance(route, APIRoute)]


ROUTES = [(method, route.path, declared_permission(route)) for route in api_routes() for method in sorted(route.methods)]


# The contract, written out: a route's permission changes only when this table is changed with it.
EXPECTED = {
    ('GET', '/api/v1/audit'): 'audit:read',
    ('GET', '/api/v1/audit/verify'): 'audit:read',
    ('GET', '/api/v1/integrations'): 'integration:read',
    ('POST', '/api/v1/integrations'): 'integration:create',
    ('GET', '/api/v1/integrations/{integration_id}'): 'integration:read',
    ('PATCH', '/api/v1/integrations/{integration_id}'): 'integration:update',
    ('GET', '/api/v1/integrations/{integration_id}/questionnaires'): 'questionnaire:read',
    ('POST', '/api/v1/integrations/{integration_id}/responses'): 'response:write',
    ('POST', '/api/v1/invites/{invite_id}/revoke'): 'response:write',
    ('GET', '/api/v1/me'): 'account:self',
    ('GET', '/api/v1/questionnaires'): 'questionnaire:read',
    ('GET', '/api/v1/questionnaires/{key}'): 'questionnaire:read',
    ('GET', '/api/v1/responses/{response_id}'): 'response:read',
    ('PUT', '/api/v1/responses/{response_id}/answers'): 'response:write',
    ('GET', '/api/v1/responses/{response_id}/answers.csv'): 'response:read',
    ('POST', '/api/v1/responses/{response_id}/answers.csv'): 'response:write',
    ('GET', '/api/v1/responses/{response_id}/invites'): 'response:write',
    ('POST', '/api/v1/responses/{response_id}/invites'): 'response:write',
    ('GET', '/api/v1/responses/{response_id}/score'): 'response:read',
    ('POST', '/api/v1/responses/{response_id}/submit'): 'response:write',
    ('POST', '/api/v1/vendors/{vendor_id}/documents'): 'document:upload',
    ('GET', '/api/v1/vendors/{vendor_id}/documents'): 'document:read',
    ('GET', '/api/v1/vendors/{vendor_id}/policy-facts'): 'document:read',
    ('GET', '/api/v1/documents'): 'document:read',
    ('GET', '/api/v1/documents/{document_id}'): 'document:read',
    ('GET', '/api/v1/documents/{document_id}/versions'): 'document:read',
    ('GET', '/api/v1/documents/{document_id}/content'): 'document:read',
    ('POST', '/api/v1/heroku/imports'): 'heroku:import',
    ('GET', '/api/v1/heroku/imports'): 'heroku:read',
    ('POST', '/api/v1/heroku/sync'): 'heroku:import',
    ('GET', '/api/v1/heroku/apps'): 'heroku:read',
    ('GET', '/api/v1/heroku/apps/{app_id}'): 'heroku:read',
    ('PATCH', '/api/v1/heroku/apps/{app_id}'): 'heroku:manage',
    ('GET', '/api/v1/heroku/services'): 'heroku:read',
    ('PATCH', '/api/v1/heroku/services/{service_id}'): 'heroku:manage',
    ('GET', '/api/v1/heroku/plans'): 'heroku:read',
    ('GET', '/api/v1/heroku/addons'): 'heroku:read',
    ('GET', '/api/v1/heroku/drift'): 'heroku:read',
    ('POST', '/api/v1/addon-requests'): 'addon:request',
    ('GET', '/api/v1/addon-requests'): 'heroku:read',
    ('GET', '/api/v1/addon-requests/{request_id}'): 'heroku:read',
    ('POST', '/api/v1/addon-requests/{request_id}/decision'): 'addon:decide',
    ('POST', '/api/v1/integrations/{integration_id}/assessments'): 'assessment:create',
    ('GET', '/api/v1/integrations/{integration_id}/assessments'): 'assessment:read',
    ('GET', '/api/v1/assessments/{assessment_id}'): 'assessment:read',
    ('POST', '/api/v1/assessments/{assessment_id}/review'): 'assessment:review',
    ('POST', '/api/v1/assessments/{assessment_id}/sign'): 'assessment:sign',
    ('GET', '/api/v1/assessments/{assessment_id}/record.pdf'): 'record:read',
    ('POST', '/api/v1/records/verify'): PUBLIC,
    ('GET', '/api/v1/tokens'): 'account:self',
    ('POST', '/api/v1/tokens'): 'account:self',
    ('POST', '/api/v1/tokens/{token_id}/revoke'): 'account:self',
    ('GET', '/api/v1/users'): 'user:manage',
    ('POST', '/api/v1/users'): 'user:manage',
    ('GET', '/api/v1/users/{user_id}'): 'user:manage',
    ('PATCH', '/api/v1/users/{user_id}'): 'user:manage',
    ('POST', '/api/v1/users/{user_id}/disable'): 'user:manage',
    ('POST', '/api/v1/users/{user_id}/enable'): 'user:manage',
    ('GET', '/api/v1/users/{user_id}/tokens'): 'user:manage',
    ('POST', '/api/v1/users/{user_id}/tokens'): 'user:manage',
    ('GET', '/api/v1/vendors'): 'vendor:read',
    ('POST', '/api/v1/vendors'): 'vendor:write',
    ('GET', '/api/v1/vendors/{vendor_id}'): 'vendor:read',
    ('PATCH', '/api/v1/vendors/{vendor_id}'): 'vendor:write',
    ('POST', '/api/v1/vendors/{vendor_id}/offboard'): 'vendor:offboard',
    ('GET', '/api/v1/data-flows'): 'dataflow:read',
    ('GET', '/api/v1/data-flows.svg'): 'dataflow:read',
    ('GET', '/api/v1/exports/record-of-processing.csv'): 'export:read',
    ('GET', '/api/v1/exports/record-of-processing.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/record-of-processing.pdf'): 'export:read',
    ('GET', '/api/v1/exports/register.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/vendors.csv'): 'export:read',
    ('GET', '/api/v1/exports/vendors.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/integrations.csv'): 'export:read',
    ('GET', '/api/v1/exports/integrations.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/documents.csv'): 'export:read',
    ('GET', '/api/v1/exports/documents.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/assessments.csv'): 'export:read',
    ('GET', '/api/v1/exports/assessments.xlsx'): 'export:read',
    ('GET', '/api/v1/exports/addons.csv'): 'export:read',
    ('GET', '/api/v1/exports/addons.xlsx'): 'export:read',
    ('GET', '/healthz'): 'public',
    ('GET', '/api/v1/reminders/upcoming'): 'reminders:read',
    ('POST', '/api/v1/me/calendar-token'): 'reminders:read',
    ('DELETE', '/api/v1/me/calendar-token'): 'reminders:read',
    ('GET', '/calendar.ics'): PUBLIC,  # the feed token in the URL is the credential
}


def test_each_route_declares_the_permission_the_contract_names():
    declared = {(method, path): getattr(permission, "value", permission) for method, path, permission in ROUTES}
    assert declared == EXPECTED


def test_every_route_declares_a_permission():
    undeclared = [f"{method} {path}" for method, path, permission in ROUTES if permission is None]
    assert not undeclared, f"routes without a declared permission: {undeclared}"


def test_the_walk_covers_every_documented_route():
    documented = {
        (method.upper(), path) for path, item in create_app().openapi()["paths"].items() for method in item
    }
    assert documented == {(method, path) for method, path, _ in ROUTES}


def test_an_undeclared_route_would_be_caught():
    router = APIRouter()

    @router.get("/api/v1/forgotten")
    def forgotten() -> dict:
        return {}

    @router.get("/api/v1/guarded")
    def guarded(_user: Annotated[object, Requires(Permission.vendor_read)]) -> dict:
        return {}

    assert declared_permission(router.routes[0]) is None
    assert declared_permission(router.routes[1]) is Permission.vendor_read


def url_for(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "999999", path)


@pytest.mark.parametrize(("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_route_outcome_for_every_role(anonymous, auth_headers, method, path, permission):
    kwargs = {"json": {}} if method in {"POST", "PATCH", "PUT"} else {}
    response = anonymous.request(method, url_for(path), **kwargs)
    if permission == PUBLIC:
        assert response.status_code not in (401, 403) and response.status_code < 500, (method, path)
        return
    assert response.status_code == 401, f"{method} {path} without a token: {response.status_code}"
    assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
    for role in Role:
        response = anonymous.request(method, url_for(path), headers=auth_headers(role.value), **kwargs)
        if permission in ROLE_PERMISSIONS[role]:
            assert response.status_code not in (401, 403), f"{role} should reach {method} {path}: {response.text}"
            assert response.status_code < 500, f"{role} on {method} {path}: {response.status_code} {response.text}"
        else:
            assert response.status_code == 403, f"{role} should be refused {method} {path}: {response.status_code}"
            assert response.json()["error"] == "PermissionDenied"


def test_the_readme_shows_the_current_permission_table():
    from pathlib import Path

    from app.auth.permissions import markdown_table

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert markdown_table() in readme, "README is stale: paste the output of `python -m app.auth.permissions`"
