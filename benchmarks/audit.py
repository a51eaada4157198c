"""Audit trail and auth figures: appends per second, verify of 100,000 events, the cost auth adds to a list.

- Appends: each append is its own session and transaction, opened as a writing request opens it
  (app.core.db.open_session(write=True): BEGIN IMMEDIATE on SQLite; record() takes the advisory lock on
  PostgreSQL), committed at once. One writer, then several writers at once.
- Verify: the chain is topped up to 100,000 events with precomputed, correctly chained rows inserted in
  bulk (the same facts and hashes record() would write), then `verify_chain` is timed over all of them.
- Auth: GET /api/v1/vendors?limit=50 with a real bearer token, against the same request on an app whose
  `current_user` dependency is overridden to return the same user, in alternating rounds. The argon2
  entry points are counted while the token requests run: a token lookup must not hash a password.
"""

import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.audit import chain
from app.audit import service as audit
from app.audit.models import AuditEvent
from app.core import migrations
from app.core.db import make_engine
from benchmarks.report import MISSED, percentile

TARGET_SQLITE_APPENDS_PER_S = 1_000.0
TARGET_VERIFY_S = 2.0
TARGET_AUTH_MS = 1.0
SEED_BATCH = 5_000
LIST_PATH = "/api/v1/vendors"
LIST_PARAMS = {"limit": "50"}


def verdict(ok: bool) -> str:
    return "ok" if ok else MISSED


# ---- appends --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Appends:
    label: str
    count: int
    writers: int
    seconds: float
    target: float | None

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def ok(self) -> bool:
        return self.target is None or self.per_second >= self.target

    def line(self, width: int) -> str:
        target = f"(target >= {self.target:,.0f}/s)  {verdict(self.ok)}" if self.target else "(no target)"
        per_append = self.seconds * 1000 / self.count
        return (f"{self.label:<{width}}  {self.per_second:7,.0f} appends/s  {per_append:5.2f} ms each  "
                f"({self.count:,} over {self.writers} writer{'s' if self.writers > 1 else ''})  {target}")


def _append(write_engine: Engine, actor: audit.Actor, n: int) -> None:
    with Session(write_engine, expire_on_commit=False) as session:
        audit.record(session, actor=actor, action="vendor.updated", subject_type="vendor", subject_id=n % 5_000,
                     changes={"name": {"before": f"Vendor {n}", "after": f"Vendor {n} Ltd"},
                              "status": {"before": "prospective", "after": "active"}})
        session.commit()


def time_appends(engine: Engine, label: str, *, count: int, writers: int, target: float | None) -> Appends:
    write_engine = engine.execution_options(sqlite_begin="IMMEDIATE")  # as open_session(write=True)
    actors = [audit.Actor.system(f"bench-writer-{i}") for i in range(writers)]
    for n in range(min(20, count)):  # warm-up: connections, statement caches
        _append(write_engine, actors[0], n)
    started = time.perf_counter()
    if writers == 1:
        for n in range(count):
            _append(write_engine, actors[0], n)
    else:
        with ThreadPoolExecutor(max_workers=writers) as pool:
            list(pool.map(lambda n: _append(write_engine, actors[n % writers], n), range(count)))
    return Appends(label, count, writers, time.perf_counter() - started, target)


# ---- verify ---------------------------------------------------------------------------------------

ACTIONS = [
    ("vendor.updated", "vendor"), ("integration.updated", "integration"), ("vendor.created", "vendor"),
    ("integration.created", "integration"), ("auth.signed_in", "account"), ("token.created", "api_token"),
]


def chained_rows(first_seq: int, prev_hash: str, count: int, *, start: datetime) -> Iterator[dict[str, Any]]:
    """`count` events continuing a chain: the facts record() writes, linked and hashed the same way."""
    for offset in range(count):
        seq = first_seq + offset
        action, subject_type = ACTIONS[seq % len(ACTIONS)]
        user = seq % 12
        row: dict[str, Any] = {
            "seq": seq,
            "at": start + timedelta(milliseconds=37 * offset, microseconds=seq % 997),
            "actor_type": "user",
            "actor_id": user + 1,
            "actor": f"user{user}@riskreg.example",
            "action": action,
            "subject_type": subject_type,
            "subject_id": str(seq % 9_973),
            "changes": chain.storable({
                "name": {"before": f"Vendor {seq} Ltd", "after": f"Vendor {seq} Limited"},
                "data_locations": {"before": ["IE"], "after": ["IE", "DE"]},
                "review_due": {"before": None, "after": "2027-03-01"},
            }),
            "prev_hash": prev_hash,
        }
        row["hash"] = prev_hash = chain.chain_hash(prev_hash, row)
        yield row


def seed_chain(engine: Engine, total: int) -> tuple[int, float]:
    """Tops the chain up to `total` events in one transaction; returns (rows inserted, seconds)."""
    started = time.perf_counter()
    with engine.begin() as connection:
        last = select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
        head = connection.execute(last).first()
        first, prev = (head.seq + 1, head.hash) if head else (1, chain.GENESIS)
        count = max(0, total - first + 1)
        batch: list[dict[str, Any]] = []
        for row in chained_rows(first, prev, count, start=datetime.now(UTC) - timedelta(days=30)):
            batch.append(row)
            if len(batch) == SEED_BATCH:
                connection.execute(insert(AuditEvent.__table__), batch)
                batch = []
        if batch:
            connection.execute(insert(AuditEvent.__table__), batch)
    return count, time.perf_counter() - started


@dataclass(frozen=True)
class Verify:
    label: str
    events: int
    seconds: float
    seeded: int
    seed_seconds: float
    ok_chain: bool
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.ok_chain and self.seconds <= TARGET_VERIFY_S

    def line(self, width: int) -> str:
        broken = "" if self.ok_chain else f"  CHAIN BROKEN: {self.problem}"
        return (f"{self.label:<{width}}  {self.seconds:6.2f} s  {self.events / self.seconds:9,.0f} events/s  "
                f"(seeded {self.seeded:,} in {self.seed_seconds:.1f} s)  (target <= {TARGET_VERIFY_S:g} s)  "
                f"{verdict(self.ok)}{broken}")


def time_verify(engine: Engine, label: str, *, events: int) -> Verify:
    seeded, seed_seconds = seed_chain(engine, events)
    with Session(engine) as session:
        started = time.perf_counter()
        result = audit.verify_chain(session)
        seconds = time.perf_counter() - started
    return Verify(label, result.checked, seconds, seeded, seed_seconds, result.ok and result.checked >= events,
                  result.problem)


def run_backend(url: str, name: str, *, appends: int, writers: int, verify_events: int,
                append_target: float | None) -> tuple[list[Appends], Verify]:
    engine = make_engine(url, pool_size=writers, max_overflow=2)
    try:
        with engine.begin() as connection:
            migrations.upgrade(connection)
        results = [
            time_appends(engine, f"audit appends, {name}, 1 writer", count=appends, writers=1, target=append_target),
            time_appends(engine, f"audit appends, {name}, {writers} writers", count=appends, writers=writers,
                         target=None),
        ]
        return results, time_verify(engine, f"verify {verify_events:,} events, {name}", events=verify_events)
    finally:
        engine.dispose()


@contextmanager
def postgres_scratch(admin_url: str) -> Iterator[tuple[str, str]]:
    """A new empty database on the server of `admin_url`, dropped afterwards: (url, server version)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"riskreg_bench_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            version = conn.execute(text("SHOW server_version")).scalar_one().split()[0]
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(admin_url).set(database=name).render_as_string(hide_password=False), version
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


# ---- auth cost ------------------------------------------------------------------------------------


def bench_user(role: str = "auditor") -> tuple[Any, str]:
    """A user and a fresh API token in the app's database (settings' DATABASE_URL): (user, secret)."""
    from app.auth import service as auth_service
    from app.auth.models import Role
    from app.core.db import session_scope

    actor = audit.Actor.system("benchmarks")
    with session_scope() as session:
        user = auth_service.create_user(session, actor=actor, email=f"bench-{uuid.uuid4().hex[:8]}@riskreg.example",
                                        name="Benchmarks", role=Role(role), password=None)
        issued = auth_service.create_token(session, actor=actor, user=user, name="benchmarks", expires_in_days=1)
    return user, issued.secret


@contextmanager
def count_argon2() -> Iterator[list[int]]:
    """Counts calls into argon2 (hash and verify, through PasswordHasher or the low-level API)."""
    import argon2._password_hasher as hasher_module
    import argon2.low_level as low_level

    calls = [0]
    patched: list[tuple[Any, str, Callable[..., Any]]] = []
    for module in (hasher_module, low_level):
        for name in ("hash_secret", "hash_secret_raw", "verify_secret"):
            original = getattr(module, name, None)
            if original is None:
                continue

            def counted(*args: Any, _original: Callable[..., Any] = original, **kwargs: Any) -> Any:
                calls[0] += 1
                return _original(*args, **kwargs)

            setattr(module, name, counted)
            patched.append((module, name, original))
    try:
        yield calls
    finally:
        for module, name, original in patched:
            setattr(module, name, original)


@dataclass(frozen=True)
class AuthCost:
    token_ms: tuple[float, ...]
    override_ms: tuple[float, ...]
    token_in_app_ms: tuple[float, ...]
    override_in_app_ms: tuple[float, ...]
    argon2_calls: int
    argon2_probe_calls: int

    @property
    def cost_ms(self) -> float:
        return statistics.median(self.token_ms) - statistics.median(self.override_ms)

    @property
    def in_app_cost_ms(self) -> float | None:
        """The same difference from the request log's duration_ms; None when those are not plausible
        (missing, or longer than the client saw: then the log measures something else)."""
        pairs = ((self.token_in_app_ms, self.token_ms), (self.override_in_app_ms, self.override_ms))
        if any(not logged or max(logged) > max(seen) for logged, seen in pairs):
            return None
        return statistics.median(self.token_in_app_ms) - statistics.median(self.override_in_app_ms)

    @property
    def ok(self) -> bool:
        return self.cost_ms <= TARGET_AUTH_MS and self.argon2_calls == 0

    def lines(self, width: int) -> list[str]:
        def figures(samples: tuple[float, ...]) -> str:
            return f"median {statistics.median(samples):6.2f} ms  p95 {percentile(samples, 95):6.2f} ms"

        in_app = self.in_app_cost_ms
        in_app_text = f"; in-app {in_app:+.2f} ms" if in_app is not None else "; in-app n/a (log durations implausible)"
        return [
            f"{'  with a bearer token':<{width}}  {figures(self.token_ms)}",
            f"{'  current_user overridden (no auth)':<{width}}  {figures(self.override_ms)}",
            f"{'  auth cost, median difference':<{width}}  {self.cost_ms:+6.2f} ms{in_app_text}  "
            f"(target <= {TARGET_AUTH_MS:g} ms)  {verdict(self.cost_ms <= TARGET_AUTH_MS)}",
            f"{'  argon2 calls during the token requests':<{width}}  {self.argon2_calls}  (target 0)  "
            f"{verdict(self.argon2_calls == 0)}  [counter checked: a password check counted "
            f"{self.argon2_probe_calls}]",
        ]


def time_auth_cost(create_app: Callable[[], Any], *, requests: int, rounds: int, warmup: int) -> AuthCost:
    from fastapi.testclient import TestClient

    from app.auth.deps import current_user
    from app.core.security import verify_password
    from benchmarks.lists import in_app_durations

    user, secret = bench_user()
    with_token = create_app()
    overridden = create_app()
    overridden.dependency_overrides[current_user] = lambda: user
    token_ms: list[float] = []
    override_ms: list[float] = []
    token_in_app: list[float] = []
    override_in_app: list[float] = []
    with (
        TestClient(with_token, headers={"Authorization": f"Bearer {secret}"}) as token_client,
        TestClient(overridden) as plain_client,
    ):
        for client in (token_client, plain_client):
            response = client.get(LIST_PATH, params=LIST_PARAMS)
            if response.status_code != 200 or len(response.json()["items"]) != 50:
                raise RuntimeError(f"GET {LIST_PATH} answered {response.status_code}: {response.text[:300]}")
            for _ in range(warmup):
                client.get(LIST_PATH, params=LIST_PARAMS)
        with count_argon2() as calls:
            for _ in range(rounds):
                for client, samples, in_app in ((token_client, token_ms, token_in_app),
                                                (plain_client, override_ms, override_in_app)):
                    with in_app_durations() as durations:
                        for _ in range(requests):
                            started = time.perf_counter()
                            response = client.get(LIST_PATH, params=LIST_PARAMS)
                            samples.append((time.perf_counter() - started) * 1000)
                            if response.status_code != 200:
                                raise RuntimeError(f"GET {LIST_PATH} answered {response.status_code}")
                    in_app.extend(durations.values)
            token_calls = calls[0]
            verify_password(None, "a password that is long enough")  # proves the counter sees argon2
            probe_calls = calls[0] - token_calls
    return AuthCost(tuple(token_ms), tuple(override_ms), tuple(token_in_app), tuple(override_in_app),
                    token_calls, probe_calls)
