"""Storage fixtures shared by tests/core and tests/documents (their conftest files import them).

`s3_server`: moto's S3 server as a subprocess, one per run. `s3_bucket`: a fresh bucket per test.
`storage_backend`: the app configured for each backend in turn (database, filesystem, s3), with the
means to look at and tamper with what that backend stored. `blob_store`: that backend's BlobStore.
"""

import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, delete, func, select, update
from sqlmodel import Session

from app.core.config import get_settings
from app.core.storage import CHUNK, BlobStore, DatabaseStore, FileChunk, FilesystemStore, S3Store, StoredFile
from tests import s3server

BACKENDS = ["database", "filesystem", "s3"]
S3_KEY = "test"
S3_REGION = "us-east-1"
_SETTINGS_ENV = (
    "RISKREG_STORAGE_BACKEND", "RISKREG_STORAGE_DIR", "RISKREG_S3_BUCKET", "RISKREG_S3_PREFIX",
    "RISKREG_S3_ENDPOINT_URL", "RISKREG_S3_ACCESS_KEY_ID", "RISKREG_S3_SECRET_ACCESS_KEY", "RISKREG_S3_REGION",
)
_CHUNKS = FileChunk.__table__  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """The endpoint URL of a local S3-compatible server (moto), started once for the run."""
    from tests.conftest import unavailable

    try:
        endpoint = s3server.acquire()
    except s3server.S3ServerUnavailable as error:
        unavailable("s3", str(error))
        raise  # unavailable() skips or fails; never reached
    yield endpoint
    s3server.release()


@pytest.fixture(scope="session")
def s3_client(s3_server: str) -> Any:
    import boto3

    return boto3.client(
        "s3", endpoint_url=s3_server, region_name=S3_REGION, aws_access_key_id=S3_KEY, aws_secret_access_key=S3_KEY
    )


@pytest.fixture
def s3_bucket(s3_client: Any) -> Iterator[str]:
    """A new, empty bucket for this test; emptied and deleted afterwards."""
    name = f"riskreg-test-{uuid.uuid4().hex[:20]}"
    s3_client.create_bucket(Bucket=name)
    yield name
    for page in s3_client.get_paginator("list_objects_v2").paginate(Bucket=name):
        keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
        if keys:
            s3_client.delete_objects(Bucket=name, Delete={"Objects": keys})
    s3_client.delete_bucket(Bucket=name)


def drop_update_guard(connection: Connection) -> None:
    """Drops the trigger that refuses UPDATE on file_chunk, in the caller's transaction (DDL is
    transactional on SQLite and PostgreSQL: the test's rollback puts it back)."""
    on = " ON file_chunk" if connection.dialect.name == "postgresql" else ""
    connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS file_chunk_no_update{on}")


@dataclass
class StorageBackend:
    """One storage backend as the app is configured for it, and what a test needs to inspect it."""

    name: str
    files: Path  # the filesystem backend's root (set whatever the backend)
    bucket: str | None = None
    s3: Any = None  # a boto3 client for the test bucket
    prefix: str = ""

    def store(self, session: Session) -> BlobStore:
        if self.name == "database":
            return DatabaseStore(session)
        if self.name == "filesystem":
            return FilesystemStore(self.files)
        return S3Store(self.s3, self.bucket or "", self.prefix)

    def files_on_disk(self) -> list[Path]:
        """Every non-directory entry under the filesystem root (temporary files included)."""
        if not self.files.exists():
            return []
        return sorted(path for path in self.files.rglob("*") if not path.is_dir())

    def objects(self) -> list[str]:
        if self.s3 is None:
            return []
        return [item["Key"] for item in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]

    def copies(self, session: Session) -> int:
        """How many files this backend holds: distinct hashes in file_chunk, files on disk, or objects."""
        if self.name == "database":
            count = select(func.count(func.distinct(_CHUNKS.c.sha256)))
            return int(session.connection().execute(count).scalar_one())
        if self.name == "filesystem":
            return len(self.files_on_disk())
        return len(self.objects())

    def rewrite(self, session: Session, sha256: str, data: bytes) -> None:
        """Replaces the stored bytes of `sha256` with `data`, behind the app's back."""
        if self.name == "database":
            _rewrite_chunks(session.connection(), sha256, data)
        elif self.name == "filesystem":
            with FilesystemStore(self.files).path(sha256).open("r+b") as handle:
                old = handle.read()
                # Only the bytes that differ are written over, in place; then cut or extend to length.
                for offset, byte in enumerate(data[: len(old)]):
                    if old[offset] != byte:
                        handle.seek(offset)
                        handle.write(bytes([byte]))
                handle.seek(len(old))
                handle.write(data[len(old):])
                handle.truncate(len(data))
        else:
            self.s3.put_object(Bucket=self.bucket, Key=self.prefix + sha256, Body=data)

    def remove(self, session: Session, sha256: str) -> None:
        """Deletes the stored bytes of `sha256` behind the app's back (the stored_file row stays)."""
        if self.name == "database":
            session.connection().execute(delete(_CHUNKS).where(_CHUNKS.c.sha256 == sha256))
        elif self.name == "filesystem":
            FilesystemStore(self.files).path(sha256).unlink()
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=self.prefix + sha256)


def _rewrite_chunks(connection: Connection, sha256: str, data: bytes) -> None:
    drop_update_guard(connection)
    blocks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    where = _CHUNKS.c.sha256 == sha256
    had = connection.execute(select(func.count()).select_from(_CHUNKS).where(where)).scalar_one()
    for seq, block in enumerate(blocks):
        if seq < had:
            connection.execute(update(_CHUNKS).where(where, _CHUNKS.c.seq == seq).values(data=block))
        else:
            connection.execute(_CHUNKS.insert().values(sha256=sha256, seq=seq, data=block))
    connection.execute(delete(_CHUNKS).where(where, _CHUNKS.c.seq >= len(blocks)))


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_file_row(session: Session, data: bytes, *, backend: str, sha256: str | None = None) -> str:
    """The stored_file row a store's bytes refer to (the database backend's chunks need it first)."""
    name = sha256 or sha256_of(data)
    session.add(StoredFile(sha256=name, size=len(data), media_type="application/pdf", backend=backend))
    session.flush()
    return name


@pytest.fixture(params=BACKENDS)
def storage_backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StorageBackend]:
    """The app's settings pointed at one storage backend (files under tmp_path, a fresh S3 bucket)."""
    name = str(request.param)
    files = tmp_path / "files"
    env = {"RISKREG_STORAGE_BACKEND": name, "RISKREG_STORAGE_DIR": str(files)}
    s3 = bucket = None
    if name == "s3":
        endpoint = request.getfixturevalue("s3_server")
        s3 = request.getfixturevalue("s3_client")
        bucket = request.getfixturevalue("s3_bucket")
        env |= {
            "RISKREG_S3_BUCKET": bucket, "RISKREG_S3_ENDPOINT_URL": endpoint, "RISKREG_S3_REGION": S3_REGION,
            "RISKREG_S3_ACCESS_KEY_ID": S3_KEY, "RISKREG_S3_SECRET_ACCESS_KEY": S3_KEY,
        }
    with pytest.MonkeyPatch.context() as patch:
        for variable in _SETTINGS_ENV:
            patch.delenv(variable, raising=False)
        for variable, value in env.items():
            patch.setenv(variable, value)
        get_settings.cache_clear()
        settings = get_settings()
        assert settings.storage_backend == name and settings.storage_path == files
        yield StorageBackend(name=name, files=files, bucket=bucket, s3=s3, prefix=settings.s3_prefix)
    get_settings.cache_clear()


@pytest.fixture
def blob_store(storage_backend: StorageBackend, db: Session) -> BlobStore:
    return storage_backend.store(db)
