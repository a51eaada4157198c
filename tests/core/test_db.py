"""SQLite runs with foreign keys on and in WAL mode; datetimes come back as aware UTC."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app.integrations.models import Integration
from app.vendors.models import Vendor
from tests.factories import integration_payload


def test_sqlite_pragmas(engine, backend):
    if backend != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_foreign_keys_are_enforced(db):
    row = Integration(**integration_payload(999_999), inherent_tier="low", inherent_rank=0, inherent_driver="x",
                      inherent_rules="scoring/1")
    db.add(row)
    with pytest.raises(IntegrityError):
        db.flush()


def test_datetimes_round_trip_as_aware_utc(db):
    cet = timezone(timedelta(hours=1))
    vendor = Vendor(legal_name="Clock Ltd", legal_name_key="clock ltd", name="Clock", country="DE", created_at=datetime(2026, 1, 1, 12, tzinfo=cet))
    db.add(vendor)
    db.flush()
    db.expire_all()
    stored = db.get(Vendor, vendor.id)
    assert stored.created_at == datetime(2026, 1, 1, 11, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None


def test_naive_datetimes_are_refused(db):
    db.add(Vendor(legal_name="Naive Ltd", legal_name_key="naive ltd", name="Naive", country="DE", created_at=datetime(2026, 1, 1)))
    with pytest.raises(Exception, match="naive datetime"):
        db.flush()


def test_a_request_commit_stays_inside_the_test_transaction(client, engine):
    """Savepoints really nest on every engine (pysqlite's own transaction handling would commit them)."""
    response = client.post("/api/v1/vendors", json={"legal_name": "Isolated Ltd", "name": "Isolated", "country": "DE"})
    assert response.status_code == 201
    with engine.connect() as other:
        seen = other.execute(text("SELECT count(*) FROM vendor WHERE legal_name = 'Isolated Ltd'")).scalar()
    assert seen == 0
