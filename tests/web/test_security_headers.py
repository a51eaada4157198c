"""Security headers on every response: pages, static files, the JSON API; a looser CSP only on /docs."""

import pytest

from app.core.middleware import CONTENT_SECURITY_POLICY

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)


@pytest.mark.parametrize("path", ["/login", "/static/css/app.css", "/healthz", "/api/v1/vendors", "/no-such-page"])
def test_every_response_carries_the_security_headers(anonymous, path):
    response = anonymous.get(path, follow_redirects=False)
    assert response.headers["Content-Security-Policy"] == CSP == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # development


def test_the_stylesheet_is_served_locally(anonymous):
    page = anonymous.get("/login")
    assert '<link rel="stylesheet" href="/static/css/app.css">' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # no CDN
    css = anonymous.get("/static/css/app.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")


def test_swagger_ui_gets_its_own_policy(anonymous):
    response = anonymous.get("/docs")
    policy = response.headers["Content-Security-Policy"]
    assert "https://cdn.jsdelivr.net" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["X-Frame-Options"] == "DENY"
