"""The storage contract: the same tests, passed by every backend (database, filesystem, S3).

A file is stored under the SHA-256 of its bytes, comes back byte for byte, is never stored when its
bytes do not match its name, and is refused on reading once it was altered, cut short or lost.
"""

import io
import os
import random
import stat

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.core.storage import (
    CHUNK,
    BlobStore,
    FileChunk,
    FilesystemStore,
    StoredFileCorrupted,
    StoredFileMissing,
    check_name,
    read_verified,
    verify,
)
from tests.storage_fixtures import StorageBackend, drop_update_guard, sha256_of, stored_file_row

SIZES = {
    "small": 1000,
    "one-chunk": CHUNK,
    "one-chunk-plus-one": CHUNK + 1,
    "three-chunks-and-some": 3 * CHUNK + 12_345,
}


def random_bytes(size: int, seed: int = 7) -> bytes:
    return random.Random(f"{seed}-{size}").randbytes(size)


def put(db: Session, store: BlobStore, data: bytes) -> str:
    """Stores `data` under its hash (with the stored_file row the database backend refers to)."""
    name = stored_file_row(db, data, backend=store.name)
    store.put(name, io.BytesIO(data))
    return name


def read_all(store: BlobStore, name: str) -> bytes:
    return b"".join(store.chunks(name))


# --- the contract, for every backend ------------------------------------------------------------

@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_put_then_read_gives_back_the_same_bytes(db: Session, blob_store: BlobStore, size: int) -> None:
    data = random_bytes(size)
    name = put(db, blob_store, data)

    assert read_all(blob_store, name) == data
    assert b"".join(read_verified(blob_store, name, size)) == data
    verify(blob_store, name, size)


def test_put_reads_the_source_from_its_current_position(db: Session, blob_store: BlobStore) -> None:
    data = random_bytes(5000)
    name = stored_file_row(db, data, backend=blob_store.name)
    source = io.BytesIO(b"already read" + data)
    source.seek(len(b"already read"))

    blob_store.put(name, source)

    assert read_all(blob_store, name) == data


def test_exists_only_once_stored(db: Session, blob_store: BlobStore) -> None:
    data = random_bytes(2000)
    name = sha256_of(data)
    assert not blob_store.exists(name)

    put(db, blob_store, data)

    assert blob_store.exists(name)
    assert not blob_store.exists(sha256_of(data + b"other"))


@pytest.mark.parametrize("size", [1000, 2 * CHUNK + 5], ids=["small", "several-chunks"])
def test_bytes_that_do_not_match_their_name_are_not_stored(
    db: Session, blob_store: BlobStore, storage_backend: StorageBackend, size: int
) -> None:
    expected = random_bytes(size, seed=1)
    name = stored_file_row(db, expected, backend=blob_store.name)
    other = random_bytes(size, seed=2)

    with pytest.raises(StoredFileCorrupted):
        blob_store.put(name, io.BytesIO(other))

    assert not blob_store.exists(name)
    assert storage_backend.copies(db) == 0
    assert storage_backend.files_on_disk() == []  # not even a temporary file
    with pytest.raises(StoredFileMissing):
        read_all(blob_store, name)
    # The store is still usable afterwards (on PostgreSQL: the transaction was not left aborted).
    blob_store.put(name, io.BytesIO(expected))
    assert read_all(blob_store, name) == expected


def test_putting_the_same_bytes_twice_keeps_one_copy(
    db: Session, blob_store: BlobStore, storage_backend: StorageBackend
) -> None:
    data = random_bytes(CHUNK + 10)
    name = put(db, blob_store, data)

    blob_store.put(name, io.BytesIO(data))

    assert read_all(blob_store, name) == data
    verify(blob_store, name, len(data))
    assert storage_backend.copies(db) == 1


def _flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


TAMPERING = {
    "one-byte-altered": _flip_one_byte,
    "truncated": lambda data: data[:-1],
    "extended": lambda data: data + b"\x00",
}


@pytest.mark.parametrize("size", [1000, CHUNK + 100], ids=["small", "two-chunks"])
@pytest.mark.parametrize("tamper", TAMPERING.values(), ids=TAMPERING.keys())
def test_bytes_changed_after_storing_are_refused(
    db: Session, blob_store: BlobStore, storage_backend: StorageBackend, size: int, tamper
) -> None:
    data = random_bytes(size)
    name = put(db, blob_store, data)
    storage_backend.rewrite(db, name, tamper(data))
    assert read_all(blob_store, name) == tamper(data)  # the store itself does not check

    with pytest.raises(StoredFileCorrupted, match=name):
        verify(blob_store, name, size)
    served = bytearray()
    with pytest.raises(StoredFileCorrupted):
        for block in read_verified(blob_store, name, size):
            served += block
    assert len(served) <= size  # never more than the recorded size, even when the copy grew


def test_a_lost_file_is_missing(db: Session, blob_store: BlobStore, storage_backend: StorageBackend) -> None:
    data = random_bytes(3000)
    name = put(db, blob_store, data)

    storage_backend.remove(db, name)

    assert not blob_store.exists(name)
    with pytest.raises(StoredFileMissing, match=name):
        verify(blob_store, name, len(data))


def test_delete_removes_the_copy(db: Session, blob_store: BlobStore, storage_backend: StorageBackend) -> None:
    data = random_bytes(3000)
    name = put(db, blob_store, data)

    blob_store.delete(name)

    assert not blob_store.exists(name)
    assert storage_backend.copies(db) == 0


BAD_NAMES = [
    "../../etc/passwd",
    "",
    "a" * 63,
    "a" * 65,
    "A" * 64,  # upper case: one file, one spelling
    "g" * 64,
    "a" * 64 + "\n",
    "../" + "a" * 61,
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_check_name_refuses_anything_but_a_sha256_hex_digest(name: str) -> None:
    with pytest.raises(ValueError, match="not a SHA-256"):
        check_name(name)


def test_check_name_accepts_a_sha256_hex_digest() -> None:
    name = sha256_of(b"x")
    assert check_name(name) == name


def test_a_path_as_a_name_stores_nothing(
    db: Session, blob_store: BlobStore, storage_backend: StorageBackend, tmp_path
) -> None:
    with pytest.raises((ValueError, StoredFileCorrupted)):
        blob_store.put("../../etc/passwd", io.BytesIO(b"root:x:0:0"))

    assert storage_backend.copies(db) == 0
    assert [p for p in tmp_path.rglob("*") if not p.is_dir()] == []


# --- the filesystem backend: crash-safe writes ----------------------------------------------------

@pytest.fixture(params=["unnamed-temporary-file", "named-temporary-file"])
def filesystem_store(request: pytest.FixtureRequest, tmp_path, monkeypatch: pytest.MonkeyPatch) -> FilesystemStore:
    """The filesystem store, writing through O_TMPFILE and through its fallback for systems without it."""
    if request.param == "named-temporary-file":
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    elif not hasattr(os, "O_TMPFILE"):
        pytest.skip("this system has no O_TMPFILE")
    return FilesystemStore(tmp_path / "files")


def _files(root) -> list:
    return sorted(p for p in root.rglob("*") if not p.is_dir())


def test_filesystem_leaves_only_the_final_file(filesystem_store: FilesystemStore) -> None:
    data = random_bytes(2 * CHUNK + 1)
    name = sha256_of(data)

    filesystem_store.put(name, io.BytesIO(data))

    path = filesystem_store.path(name)
    assert _files(filesystem_store.root) == [path]
    assert path.relative_to(filesystem_store.root).parts == (name[:2], name[2:4], name)
    assert path.read_bytes() == data


def test_filesystem_files_are_readable_by_owner_and_group_only(filesystem_store: FilesystemStore) -> None:
    data = random_bytes(100)
    name = sha256_of(data)

    filesystem_store.put(name, io.BytesIO(data))

    assert stat.S_IMODE(filesystem_store.path(name).stat().st_mode) == 0o640


def test_filesystem_wrong_hash_leaves_no_file(filesystem_store: FilesystemStore) -> None:
    name = sha256_of(b"what was promised")

    with pytest.raises(StoredFileCorrupted):
        filesystem_store.put(name, io.BytesIO(random_bytes(2 * CHUNK + 1)))

    assert _files(filesystem_store.root) == []
    assert filesystem_store.sweep_partials() == 0


def test_filesystem_sweep_removes_what_a_killed_writer_left(filesystem_store: FilesystemStore) -> None:
    data = random_bytes(100)
    name = sha256_of(data)
    filesystem_store.put(name, io.BytesIO(data))
    partial = filesystem_store.path(name).parent / ".partial-abc123"
    partial.write_bytes(b"half a file")

    assert filesystem_store.sweep_partials() == 1

    assert _files(filesystem_store.root) == [filesystem_store.path(name)]


# --- the database backend: the UPDATE guard the tampering tests drop ---------------------------------

def _refuses_update(connection, name: str) -> bool:
    table = FileChunk.__table__  # type: ignore[attr-defined]
    savepoint = connection.begin_nested()
    try:
        connection.execute(update(table).where(table.c.sha256 == name).values(data=b"changed"))
    except DBAPIError as error:
        savepoint.rollback()
        assert "written once" in str(error.orig)
        return True
    savepoint.rollback()
    return False


def test_file_chunks_refuse_update_and_dropping_the_guard_is_rolled_back(engine: Engine) -> None:
    """The tampering tests drop the trigger inside their transaction: rolling back must restore it."""
    data = b"written once"
    table = FileChunk.__table__  # type: ignore[attr-defined]

    def with_a_chunk(connection) -> str:
        with Session(bind=connection, join_transaction_mode="create_savepoint") as session:
            name = stored_file_row(session, data, backend="database")
            session.commit()  # releases its savepoint; the row stays in the connection's transaction
        connection.execute(table.insert().values(sha256=name, seq=0, data=data))
        return name

    with engine.connect() as connection:
        transaction = connection.begin()
        name = with_a_chunk(connection)
        assert _refuses_update(connection, name)
        drop_update_guard(connection)
        assert not _refuses_update(connection, name)
        transaction.rollback()

    with engine.connect() as connection:
        transaction = connection.begin()
        name = with_a_chunk(connection)
        assert _refuses_update(connection, name)  # the rollback put the trigger back
        transaction.rollback()
