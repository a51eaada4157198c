"""Cross-cutting HTTP behaviour: error bodies, request ids, log lines, the OpenAPI document."""

import json
import logging

from fastapi.testclient import TestClient

from app.core.db import get_session
from app.core.logging import JSONFormatter


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"] == "NotFound"


def test_405_lists_every_method_of_the_path(client):
    response = client.put("/api/v1/vendors")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"
    assert response.json()["error"] == "MethodNotAllowed"


def test_an_unexpected_error_is_500_without_a_stack_trace(app):
    def broken():
        raise RuntimeError("secret internals: password=hunter2")
        yield  # pragma: no cover

    app.dependency_overrides[get_session] = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/vendors", headers={"X-Request-ID": "req-123"})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "InternalError"
    assert "req-123" in body["detail"]
    assert "hunter2" not in response.text and "Traceback" not in response.text


def test_request_id_is_taken_from_heroku_router_or_generated(client):
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"}).headers["X-Request-ID"]
    assert generated != "bad id with spaces" and len(generated) == 32


def test_each_request_logs_one_json_line(client, caplog):
    import time

    with caplog.at_level(logging.INFO, logger="riskreg.request"):
        began = time.perf_counter()
        client.get("/api/v1/vendors/12345", headers={"X-Request-ID": "log-1"})
        elapsed_ms = (time.perf_counter() - began) * 1000
    records = [r for r in caplog.records if r.name == "riskreg.request"]
    assert len(records) == 1
    line = json.loads(JSONFormatter().format(records[0]))
    assert line["request_id"] == "log-1"
    assert line["status"] == 404
    assert line["route"] == "/api/v1/vendors/{vendor_id}"
    assert line["method"] == "GET" and 0 <= line["duration_ms"] <= elapsed_ms


def test_openapi_documents_every_route_with_examples(client):
    spec = client.get("/openapi.json").json()
    operations = [(path, method, op) for path, item in spec["paths"].items() for method, op in item.items()]
    assert len(operations) >= 9
    schemas = spec["components"]["schemas"]
    for path, method, op in operations:
        assert "200" in op["responses"] or "201" in op["responses"], (path, method)
        body = op.get("requestBody")
        if body and "application/json" in body["content"]:
            ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
            assert schemas[ref].get("examples"), f"{method.upper()} {path}: request body has no example"
        if path.startswith("/api/"):
            assert "422" in op["responses"], (path, method)
    for name in ("VendorPublic", "IntegrationPublic", "ErrorBody"):
        assert schemas[name].get("examples"), name


def test_a_database_outage_is_503_with_retry_after(app):
    from sqlalchemy.exc import OperationalError

    class Down:
        def execute(self, *_args, **_kwargs):
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

        def rollback(self):
            pass

        def commit(self):
            pass

        def get_bind(self):
            raise OperationalError("bind", {}, Exception("connection refused"))

    def down_session():
        yield Down()

    app.dependency_overrides[get_session] = down_session
    with TestClient(app, raise_server_exceptions=False) as client:
        health = client.get("/healthz")
        assert health.status_code == 503
        assert health.json()["error"] == "DatabaseUnavailable" and health.json()["database"] == "unreachable"
        listed = client.get("/api/v1/vendors", headers={"Authorization": "Bearer rr_x"})
        assert listed.status_code == 503
        assert listed.headers["Retry-After"] == "5"
        assert "connection refused" not in listed.text


def test_a_malformed_content_length_is_400():
    import asyncio

    from app.core.middleware import BodySizeLimitMiddleware

    reached = []

    async def downstream(scope, receive, send):
        reached.append(scope)

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"{}"}

    scope = {"type": "http", "path": "/api/v1/vendors", "headers": [(b"content-length", b"abc")]}
    asyncio.run(BodySizeLimitMiddleware(downstream, max_bytes=1024)(scope, receive, send))
    assert sent[0]["status"] == 400 and not reached
