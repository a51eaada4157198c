"""Content-addressed file storage: one interface, three backends (database, filesystem, S3).

A file is named by the SHA-256 of its bytes, written once, and checked against that name whenever it
is read. Writers verify the hash while they write and store nothing when it does not match.
"""

import base64
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal, Protocol

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, String, delete, func, select
from sqlmodel import Field, Session, SQLModel

from app.core.errors import DomainError
from app.core.models import timestamp_field

CHUNK = 1024 * 1024
Backend = Literal["database", "filesystem", "s3"]
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class StoredFileCorrupted(DomainError):
    """The stored copy no longer hashes to its name: it was altered or damaged after it was written."""

    status_code = 500


class StoredFileMissing(DomainError):
    status_code = 500


class StorageUnavailable(DomainError):
    status_code = 503


class StoredFile(SQLModel, table=True):
    """One stored file, whatever points at it: identical uploads share one row and one copy."""

    __tablename__ = "stored_file"

    sha256: str = Field(sa_column=Column(String(64), primary_key=True))
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    media_type: str = Field(max_length=100)
    backend: str = Field(max_length=20, description="Where the bytes were written")
    created_at: datetime = timestamp_field()


class FileChunk(SQLModel, table=True):
    """The database backend's bytes: a file as numbered chunks, so neither side holds it whole in memory."""

    __tablename__ = "file_chunk"

    sha256: str = Field(sa_column=Column(String(64), ForeignKey("stored_file.sha256"), primary_key=True))
    seq: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class BlobStore(Protocol):
    name: Backend

    def exists(self, sha256: str) -> bool: ...

    def put(self, sha256: str, source: BinaryIO) -> None:
        """Stores `source` (read from its current position to the end) under `sha256`. Raises
        StoredFileCorrupted, storing nothing, when the bytes do not hash to `sha256`."""

    def chunks(self, sha256: str) -> Iterator[bytes]:
        """The stored bytes, unverified; use `read_verified` to serve them."""

    def delete(self, sha256: str) -> None: ...


def check_name(sha256: str) -> str:
    if not _SHA256.fullmatch(sha256):  # not match(): `$` also matches before a trailing newline
        raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
    return sha256


def _hashing_chunks(source: BinaryIO, sha256: str, *, chunk: int = CHUNK) -> Iterator[bytes]:
    """Yields `source` in chunks; raises StoredFileCorrupted after the last one if the hash differs."""
    digest = hashlib.sha256()
    while block := source.read(chunk):
        digest.update(block)
        yield block
    if digest.hexdigest() != sha256:
        raise StoredFileCorrupted(f"The bytes being stored do not hash to {sha256}; nothing was stored.")


def read_verified(store: BlobStore, sha256: str, size: int) -> Iterator[bytes]:
    """The stored bytes, hashed as they stream; raises StoredFileCorrupted at the first sign of a
    difference (too many bytes) or at the end (wrong hash or too few bytes)."""
    digest = hashlib.sha256()
    seen = 0
    for block in store.chunks(sha256):
        seen += len(block)
        if seen > size:
            raise _corrupted(store, sha256, f"it is longer than the {size} bytes recorded")
        digest.update(block)
        yield block
    if seen != size:
        raise _corrupted(store, sha256, f"it has {seen} bytes, not the {size} recorded")
    if digest.hexdigest() != sha256:
        raise _corrupted(store, sha256, "its SHA-256 no longer matches")


def verify(store: BlobStore, sha256: str, size: int) -> None:
    """Reads the whole stored file and raises StoredFileCorrupted/StoredFileMissing if it is not intact."""
    for _ in read_verified(store, sha256, size):
        pass


def _corrupted(store: BlobStore, sha256: str, why: str) -> StoredFileCorrupted:
    return StoredFileCorrupted(
        f"The stored file {sha256} ({store.name} storage) was altered or damaged after it was stored: {why}. "
        "It was not served; restore it from a backup (the hash names the exact bytes wanted)."
    )


def _missing(store: BlobStore, sha256: str) -> StoredFileMissing:
    return StoredFileMissing(
        f"The stored file {sha256} is missing from {store.name} storage; restore it from a backup."
    )


class DatabaseStore:
    """Chunks in the `file_chunk` table, written in the caller's transaction: the file and the row
    that points at it commit together or not at all. Safe on Heroku's ephemeral dyno disk."""

    name: Backend = "database"

    def __init__(self, session: Session) -> None:
        self.session = session

    def exists(self, sha256: str) -> bool:
        table = FileChunk.__table__  # type: ignore[attr-defined]
        found = self.session.connection().execute(
            select(func.count()).select_from(table).where(table.c.sha256 == sha256, table.c.seq == 0)
        )
        return bool(found.scalar_one())

    def put(self, sha256: str, source: BinaryIO) -> None:
        check_name(sha256)
        if self.exists(sha256):
            return  # the same bytes, already stored (as the other backends, storing twice is no error)
        table = FileChunk.__table__  # type: ignore[attr-defined]
        with self.session.begin_nested():  # a wrong hash takes back the chunks already inserted
            # Asked for inside begin_nested(): the SAVEPOINT is only emitted when the session hands out
            # its connection, so a connection taken before would insert outside it.
            connection = self.session.connection()
            for seq, block in enumerate(_hashing_chunks(source, sha256)):
                connection.execute(table.insert().values(sha256=sha256, seq=seq, data=block))

    def chunks(self, sha256: str) -> Iterator[bytes]:
        # One chunk per query: memory stays at one chunk whatever the file size.
        table = FileChunk.__table__  # type: ignore[attr-defined]
        count = self.session.connection().execute(
            select(func.count()).select_from(table).where(table.c.sha256 == sha256)
        ).scalar_one()
        if not count:
            raise _missing(self, sha256)
        for seq in range(count):
            block = self.session.connection().execute(
                select(table.c.data).where(table.c.sha256 == sha256, table.c.seq == seq)
            ).scalar_one_or_none()
            if block is None:
                raise _corrupted(self, sha256, f"chunk {seq} is missing")
            yield bytes(block)

    def delete(self, sha256: str) -> None:
        self.session.connection().execute(delete(FileChunk.__table__).where(FileChunk.__table__.c.sha256 == sha256))  # type: ignore[attr-defined]


class FilesystemStore:
    """Files under `root/ab/cd/<sha256>`, written crash-safe: an unnamed temporary file in the target
    directory (O_TMPFILE), fsync, then linked into place and the directory fsynced. A process killed
    mid-write leaves nothing behind; the row that points at the file commits only after this returns.
    """

    name: Backend = "filesystem"

    def __init__(self, root: Path) -> None:
        self.root = root

    def path(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, sha256: str, source: BinaryIO) -> None:
        target = self.path(sha256)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.exists():
            return
        if hasattr(os, "O_TMPFILE"):
            try:
                fd = os.open(target.parent, os.O_TMPFILE | os.O_WRONLY, 0o640)
            except OSError:  # the filesystem does not support unnamed temporary files
                fd = -1
            if fd >= 0:
                self._write_unnamed(fd, sha256, source, target)
                return
        self._write_named(sha256, source, target)

    def _write_unnamed(self, fd: int, sha256: str, source: BinaryIO, target: Path) -> None:
        try:
            with os.fdopen(fd, "wb", closefd=False) as out:
                for block in _hashing_chunks(source, sha256):
                    out.write(block)
                out.flush()
                os.fsync(fd)
            # Python calls linkat(AT_SYMLINK_FOLLOW) only when given a directory fd; without one it calls
            # link(), which links the /proc symlink itself and fails (EXDEV) instead of the file behind it.
            directory = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.link(f"/proc/self/fd/{fd}", target.name, dst_dir_fd=directory, follow_symlinks=True)
            except FileExistsError:
                pass  # another writer stored the same bytes first
            finally:
                os.close(directory)
        finally:
            os.close(fd)
        _fsync_dir(target.parent)

    def _write_named(self, sha256: str, source: BinaryIO, target: Path) -> None:
        handle = tempfile.NamedTemporaryFile(dir=target.parent, prefix=".partial-", delete=False)  # noqa: SIM115
        try:
            with handle:
                for block in _hashing_chunks(source, sha256):
                    handle.write(block)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(handle.name, 0o640)
            os.replace(handle.name, target)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)

    def chunks(self, sha256: str) -> Iterator[bytes]:
        try:
            handle = self.path(sha256).open("rb")
        except FileNotFoundError:
            raise _missing(self, sha256) from None
        with handle:
            while block := handle.read(CHUNK):
                yield block

    def delete(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def sweep_partials(self) -> int:
        """Removes temporary files a killed writer left (only the named fallback can leave any)."""
        removed = 0
        for path in self.root.glob("*/*/.partial-*"):
            if stat.S_ISREG(path.lstat().st_mode):
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class S3Store:
    """Objects `<prefix><sha256>` in an S3-compatible bucket. A PUT is atomic (an object appears whole
    or not at all) and carries the SHA-256 so the server refuses bytes damaged in transit."""

    name: Backend = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def key(self, sha256: str) -> str:
        return self.prefix + check_name(sha256)

    def exists(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as error:
            # Without s3:ListBucket, AWS answers a HEAD of a missing key with 403, not 404. Treat it as
            # absent: the PUT that follows will say whether we may write.
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "403", "AccessDenied"):
                return False
            raise _unavailable(error) from None
        return True

    def put(self, sha256: str, source: BinaryIO) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        check_name(sha256)
        start = source.tell()
        digest = hashlib.sha256()
        length = 0
        while block := source.read(CHUNK):
            digest.update(block)
            length += len(block)
        if digest.hexdigest() != sha256:
            raise StoredFileCorrupted(f"The bytes being stored do not hash to {sha256}; nothing was stored.")
        source.seek(start)
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=self.key(sha256), Body=source, ContentLength=length,
                ChecksumSHA256=base64.b64encode(digest.digest()).decode(), ContentType="application/octet-stream",
            )
        except (BotoCoreError, ClientError) as error:
            raise _unavailable(error) from None

    def chunks(self, sha256: str) -> Iterator[bytes]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                raise _missing(self, sha256) from None
            raise _unavailable(error) from None
        except BotoCoreError as error:
            raise _unavailable(error) from None
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def delete(self, sha256: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))


def _unavailable(error: Exception) -> StorageUnavailable:
    # The error's class name only: botocore messages can carry the bucket URL and request ids.
    return StorageUnavailable(
        f"The S3 file store did not answer as expected ({type(error).__name__}); try again shortly.",
        headers={"Retry-After": "5"},
    )


def open_store(backend: Backend, session: Session) -> BlobStore:
    """The store for `backend`, configured from settings."""
    from app.core.config import get_settings

    settings = get_settings()
    if backend == "database":
        return DatabaseStore(session)
    if backend == "filesystem":
        return FilesystemStore(settings.storage_path)
    return S3Store(s3_client(), settings.s3_bucket or "", settings.s3_prefix)


@contextmanager
def reading_store(backend: Backend, bind: Any) -> Iterator[BlobStore]:
    """A store with its own session on `bind` (the request session's engine or connection), for a
    response streamed after the request's session has closed."""
    with Session(bind=bind, expire_on_commit=False) as session:
        yield open_store(backend, session)


def s3_client() -> Any:
    from app.core.config import get_settings

    settings = get_settings()
    if not settings.s3_bucket:
        raise StorageUnavailable("S3 storage is selected but RISKREG_S3_BUCKET is not set.")
    return _client(
        settings.s3_endpoint_url, settings.s3_region,
        settings.s3_access_key_id, settings.s3_secret_access_key.get_secret_value() if settings.s3_secret_access_key else None,
    )


_CLIENTS: dict[tuple[Any, ...], Any] = {}


def _client(endpoint: str | None, region: str, key_id: str | None, secret: str | None) -> Any:
    cache_key = (endpoint, region, key_id, secret)
    if cache_key not in _CLIENTS:
        import boto3
        from botocore.config import Config

        _CLIENTS[cache_key] = boto3.client(
            "s3", endpoint_url=endpoint, region_name=region, aws_access_key_id=key_id, aws_secret_access_key=secret,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=30),
        )
    return _CLIENTS[cache_key]
