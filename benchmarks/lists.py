"""In-process latency of the list endpoints at benchmark size, through FastAPI's TestClient.

`median`/`p95` are what the client saw (routing, middleware, dependencies, SQL, validation,
serialisation, and the TestClient's own transport). `in-app` is the `duration_ms` the request
middleware logs, i.e. the same request without the test transport.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from fastapi.testclient import TestClient

from benchmarks.report import Latency

TARGET_MS = 15.0
DEEP_PAGES = 100


@dataclass(frozen=True)
class Case:
    label: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    deep: bool = False  # follow `next` DEEP_PAGES times first, then time the page at that cursor


CASES = [
    Case("vendors first page", "/api/v1/vendors"),
    Case("vendors deep page (100 pages in)", "/api/v1/vendors", deep=True),
    Case("vendors ?status=active&country=DE", "/api/v1/vendors", {"status": "active", "country": "DE"}),
    Case("vendors ?q=cloud", "/api/v1/vendors", {"q": "cloud"}),
    Case("vendors ?sort=-updated_at", "/api/v1/vendors", {"sort": "-updated_at"}),
    Case("integrations first page", "/api/v1/integrations"),
    Case("integrations deep page (100 pages in)", "/api/v1/integrations", deep=True),
    Case("integrations ?data_category=phi&tier=high", "/api/v1/integrations", {"data_category": "phi", "tier": "high"}),
    Case("integrations ?kind=heroku_addon", "/api/v1/integrations", {"kind": "heroku_addon"}),
    Case("integrations ?q=papertrail", "/api/v1/integrations", {"q": "papertrail"}),
    Case("integrations ?sort=-inherent_tier", "/api/v1/integrations", {"sort": "-inherent_tier"}),
]


class _Durations(logging.Handler):
    """Collects the `duration_ms` of each line the request middleware logs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.values: list[float] = []

    def emit(self, record: logging.LogRecord) -> None:
        value = getattr(record, "duration_ms", None)
        if value is not None:
            self.values.append(float(value))


@contextmanager
def in_app_durations() -> Iterator[_Durations]:
    logger = logging.getLogger("riskreg.request")
    handler = _Durations()
    saved = logger.level, logger.propagate
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False  # collect, do not print
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(saved[0])
        logger.propagate = saved[1]


def _get(client: TestClient, path: str, params: dict[str, str]) -> dict[str, Any]:
    response = client.get(path, params=params)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params} answered {response.status_code}: {response.text[:300]}")
    return response.json()


def deep_cursor(client: TestClient, path: str, params: dict[str, str], pages: int = DEEP_PAGES) -> str:
    cursor = None
    for _ in range(pages):
        body = _get(client, path, {**params, **({"cursor": cursor} if cursor else {})})
        cursor = body["next"]
        if cursor is None:
            raise RuntimeError(f"{path} has fewer than {pages} pages")
    assert cursor is not None
    return cursor


def measure(client: TestClient, case: Case, *, requests: int, warmup: int) -> Latency:
    params = dict(case.params)
    if case.deep:
        params["cursor"] = deep_cursor(client, case.path, params)
    first = _get(client, case.path, params)  # also proves the page is a 200 with items
    note = f"{len(first['items'])} items of {first['total']}"
    for _ in range(warmup):
        client.get(case.path, params=params)
    samples = []
    with in_app_durations() as durations:
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(case.path, params=params)
            samples.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"GET {case.path} {params} answered {response.status_code}")
    return Latency(case.label, tuple(samples), tuple(durations.values), TARGET_MS, note)


def run(client: TestClient, *, requests: int, warmup: int) -> list[Latency]:
    return [measure(client, case, requests=requests, warmup=warmup) for case in CASES]
