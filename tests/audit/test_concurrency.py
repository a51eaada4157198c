"""Concurrent appends never fork the chain: threads with their own sessions, two connections, two processes.

Each writer opens its session the way production does (app.core.db.open_session: writing sessions begin
IMMEDIATE on SQLite; record() takes an advisory lock on PostgreSQL) against a fresh migrated database, and
commits after every append, like one request per event. On PostgreSQL the test connections run with
`synchronous_commit = off`: a commit is visible to other transactions exactly as with it on (only the
WAL flush to disk is deferred), so the serialisation under test is unchanged, and the run takes seconds
instead of waiting on a thousand fsyncs.
"""

import multiprocessing
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core import migrations
from app.core.db import make_engine

APPENDS = 1_000
WORKERS = 16


def _fast_url(url: str) -> str:
    if not url.startswith("postgresql"):
        return url
    fast = make_url(url).update_query_dict({"options": "-c synchronous_commit=off"})
    return fast.render_as_string(hide_password=False)


@pytest.fixture
def fresh_engine(scratch) -> Iterator[Engine]:
    """A new, migrated database of this backend with an empty audit trail."""
    engine = make_engine(_fast_url(scratch.new_url()), pool_size=WORKERS, max_overflow=4)
    with engine.begin() as connection:
        migrations.upgrade(connection)
    yield engine
    engine.dispose()


def append_one(engine: Engine, actor: Actor, n: int) -> int:
    with Session(engine.execution_options(sqlite_begin="IMMEDIATE"), expire_on_commit=False) as session:
        event = audit.record(session, actor=actor, action="probe.appended", subject_type="probe", subject_id=n,
                             changes={"n": {"before": None, "after": n}})
        session.commit()
        return event.seq


def assert_one_chain(engine: Engine, expected: int) -> list[str]:
    """verify_chain is ok over exactly seq 1..expected; returns the actor of each event, in seq order."""
    with Session(engine) as session:
        verdict = audit.verify_chain(session)
        rows = session.execute(text("SELECT seq, actor FROM audit_event ORDER BY seq")).all()
    assert verdict.ok, verdict
    assert verdict.checked == verdict.head_seq == expected
    assert [row.seq for row in rows] == list(range(1, expected + 1))
    return [row.actor for row in rows]


def test_concurrent_appends_from_threads_leave_one_chain(fresh_engine: Engine) -> None:
    actors = [Actor.system(f"thread-{i}") for i in range(WORKERS)]
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        seqs = list(pool.map(lambda n: append_one(fresh_engine, actors[n % WORKERS], n), range(APPENDS)))
    assert sorted(seqs) == list(range(1, APPENDS + 1))  # every append got its own seq
    counts = Counter(assert_one_chain(fresh_engine, APPENDS))
    assert counts == {actor.label: APPENDS // WORKERS + (i < APPENDS % WORKERS) for i, actor in enumerate(actors)}


def test_two_postgresql_connections_interleaving(fresh_engine: Engine, backend: str) -> None:
    """Two threads, each holding one connection for its whole run, append 500 events each."""
    if backend != "postgresql":
        pytest.skip("the two-connection case is PostgreSQL's (SQLite writers are covered by the thread test)")
    half = APPENDS // 2
    start = threading.Barrier(2)

    def writer(name: str) -> None:
        actor = Actor.system(name)
        with fresh_engine.connect() as connection:
            start.wait()
            for n in range(half):
                with Session(bind=connection, expire_on_commit=False) as session:
                    audit.record(session, actor=actor, action="probe.appended", subject_type="probe", subject_id=n)
                    session.commit()

    with ThreadPoolExecutor(max_workers=2) as pool:
        for future in [pool.submit(writer, "connection-a"), pool.submit(writer, "connection-b")]:
            future.result()
    actors = assert_one_chain(fresh_engine, APPENDS)
    assert Counter(actors) == {"connection-a": half, "connection-b": half}
    switches = sum(a != b for a, b in zip(actors, actors[1:], strict=False))
    assert switches > 1, "the two connections did not interleave; the test proved nothing"


def _process_writer(url: str, name: str, count: int, start: "multiprocessing.synchronize.Barrier") -> None:
    engine = make_engine(url)
    actor = Actor.system(name)
    start.wait()
    for n in range(count):
        append_one(engine, actor, n)
    engine.dispose()


def test_two_processes_appending(fresh_engine: Engine) -> None:
    """Two OS processes (separate interpreters, separate pools) append 250 events each."""
    per_process = 250
    # fork: the child starts with the app already imported (spawn re-imports it: seconds on a small machine).
    # It builds its own engine and never touches the parent's pooled connections.
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    start = context.Barrier(2)
    url = fresh_engine.url.render_as_string(hide_password=False)
    processes = [context.Process(target=_process_writer, args=(url, f"process-{i}", per_process, start))
                 for i in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    assert [p.exitcode for p in processes] == [0, 0]
    actors = assert_one_chain(fresh_engine, 2 * per_process)
    assert Counter(actors) == {"process-0": per_process, "process-1": per_process}
