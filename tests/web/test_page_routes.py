"""Every page route declares who may open it, and each role meets exactly the permission table.

A page route must depend on `web_requires(permission)`, `WebUser` (any signed-in user) or `Public`; one
that declares none fails here, so no page slips in unguarded.
"""

import pytest
from fastapi.routing import APIRoute

from app.auth.models import Role
from app.auth.permissions import Permission, allowed
from app.main import PAGE_ROUTERS
from tests.factories import make_user
from tests.web.helpers import PASSWORD, post_login

PUBLIC, SIGNED_IN = "public", "signed-in"


def guard(route: APIRoute) -> Permission | str | None:
    found: set[object] = set()
    stack = list(route.dependant.dependencies)
    while stack:
        dependant = stack.pop()
        marker = getattr(dependant.call, "permission", "absent")
        if isinstance(marker, Permission):
            return marker
        if marker is None:
            found.add(PUBLIC)
        if getattr(dependant.call, "signed_in", False):
            found.add(SIGNED_IN)
        stack.extend(dependant.dependencies)
    if SIGNED_IN in found:
        return SIGNED_IN
    return PUBLIC if PUBLIC in found else None


PAGE_ROUTES = [route for router in PAGE_ROUTERS for route in router.routes if isinstance(route, APIRoute)]
# GET pages without path parameters: each role either opens them or is refused with 403.
PLAIN_PAGES = sorted({route.path for route in PAGE_ROUTES if "GET" in route.methods and "{" not in route.path
                      and isinstance(guard(route), Permission)})


def test_every_page_route_declares_who_may_open_it():
    unguarded = [f"{sorted(r.methods)} {r.path}" for r in PAGE_ROUTES if guard(r) is None]
    assert unguarded == []
    assert len(PAGE_ROUTES) > 5  # the walk found the page routers


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_opens_the_pages_its_permissions_allow(role, db, anonymous):
    user = make_user(db, role=role, password=PASSWORD)
    db.commit()
    assert post_login(anonymous, user.email).status_code == 303
    guards = {route.path: guard(route) for route in PAGE_ROUTES if route.path in PLAIN_PAGES}
    for path in PLAIN_PAGES:
        permission = guards[path]
        assert isinstance(permission, Permission)
        status = anonymous.get(path, follow_redirects=False).status_code
        if allowed(role, permission):
            assert status == 200, (role, path, status)
        else:
            assert status == 403, (role, path, status)


def test_a_refused_page_says_why_in_html(db, anonymous):
    user = make_user(db, role="engineer", password=PASSWORD)
    db.commit()
    post_login(anonymous, user.email)
    refused = [path for path in PLAIN_PAGES if not allowed("engineer", guard(next(
        r for r in PAGE_ROUTES if r.path == path)))]  # type: ignore[arg-type]
    if not refused:
        pytest.skip("every plain page is open to engineers")
    page = anonymous.get(refused[0])
    assert page.status_code == 403 and page.headers["content-type"].startswith("text/html")
    assert "Your role (engineer) does not allow this" in page.text


def test_an_unknown_page_is_an_html_404_and_an_unknown_api_path_json(db, anonymous):
    page = anonymous.get("/no-such-page")
    assert page.status_code == 404 and "There is no page at this address" in page.text
    api = anonymous.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.json()["error"] == "NotFound"


def test_an_unexpected_error_on_a_page_is_an_html_page_with_the_request_id(app, anonymous):
    def broken() -> None:
        raise RuntimeError("secret internals")

    app.add_api_route("/broken-page", broken)
    app.add_api_route("/api/v1/broken", broken)
    page = anonymous.get("/broken-page")
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    assert "Something went wrong" in page.text and page.headers["x-request-id"] in page.text
    assert "secret internals" not in page.text and "Traceback" not in page.text
    api = anonymous.get("/api/v1/broken")
    assert api.status_code == 500 and api.json()["error"] == "InternalError"
