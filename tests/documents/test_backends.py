"""Uploading and downloading documents on each storage backend (database, filesystem, S3)."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.core import storage
from app.core.config import get_settings
from app.core.storage import CHUNK, StoredFile
from app.main import create_app
from tests.conftest import bind_to
from tests.documents.helpers import pdf_bytes, upload
from tests.factories import make_vendor
from tests.storage_fixtures import StorageBackend, sha256_of


@pytest.fixture
def vendor_id(db: Session) -> int:
    vendor = make_vendor(db)
    db.commit()
    assert vendor.id is not None
    return vendor.id


def _upload(client: TestClient, vendor_id: int, content: bytes) -> dict:
    response = upload(client, vendor_id, content)
    assert response.status_code == 201, response.text
    return response.json()


def _stored_files(db: Session) -> list[StoredFile]:
    return list(db.scalars(select(StoredFile)))


@pytest.mark.parametrize("pad", [0, 2 * CHUNK + 3], ids=["small", "several-chunks"])
def test_download_gives_back_the_uploaded_bytes(
    client: TestClient, storage_backend: StorageBackend, vendor_id: int, pad: int
) -> None:
    content = pdf_bytes("Signed DPA", pad=pad)
    document = _upload(client, vendor_id, content)

    response = client.get(f"/api/v1/documents/{document['id']}/content")

    assert response.status_code == 200, response.text
    assert response.content == content
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith("attachment;")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["etag"] == f'"sha256:{sha256_of(content)}"'
    assert int(response.headers["content-length"]) == len(content)


def test_stored_file_records_the_backend(
    client: TestClient, db: Session, storage_backend: StorageBackend, vendor_id: int
) -> None:
    content = pdf_bytes("Where am I stored")
    _upload(client, vendor_id, content)

    [stored] = _stored_files(db)
    assert (stored.sha256, stored.size, stored.backend) == (sha256_of(content), len(content), storage_backend.name)
    assert storage_backend.copies(db) == 1


def test_the_same_bytes_uploaded_twice_are_stored_once(
    client: TestClient, db: Session, storage_backend: StorageBackend, vendor_id: int
) -> None:
    content = pdf_bytes("Uploaded twice")

    first = _upload(client, vendor_id, content)
    second = _upload(client, vendor_id, content)

    assert first["id"] != second["id"]
    assert (first["deduplicated"], second["deduplicated"]) == (False, True)
    assert len(_stored_files(db)) == 1
    assert storage_backend.copies(db) == 1
    if storage_backend.name == "filesystem":
        assert len(storage_backend.files_on_disk()) == 1
    if storage_backend.name == "s3":
        assert storage_backend.objects() == [storage_backend.prefix + sha256_of(content)]
    for document in (first, second):
        response = client.get(f"/api/v1/documents/{document['id']}/content")
        assert response.status_code == 200
        assert response.content == content


def test_files_survive_a_restart(
    client: TestClient, connection: object, auth_headers, storage_backend: StorageBackend, vendor_id: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    content = pdf_bytes("Still here after a restart", pad=CHUNK)
    document = _upload(client, vendor_id, content)

    # A new process: a new app, settings read again, no S3 client kept from before.
    get_settings.cache_clear()
    monkeypatch.setattr(storage, "_CLIENTS", {})
    restarted = bind_to(create_app(load_questionnaires=False), connection)
    with TestClient(restarted, raise_server_exceptions=False, headers=auth_headers("admin")) as fresh:
        response = fresh.get(f"/api/v1/documents/{document['id']}/content")

    assert response.status_code == 200, response.text
    assert response.content == content


def _flip_one_byte(data: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]


@pytest.mark.parametrize(
    ("tamper", "error"),
    [
        (_flip_one_byte, "StoredFileCorrupted"),
        (lambda data: data[:-1], "StoredFileCorrupted"),
        (lambda data: data + b"% appended\n", "StoredFileCorrupted"),
        (None, "StoredFileMissing"),
    ],
    ids=["one-byte-altered", "truncated", "extended", "deleted"],
)
def test_a_file_changed_behind_the_apps_back_is_never_served(
    client: TestClient, db: Session, storage_backend: StorageBackend, vendor_id: int, tamper, error: str
) -> None:
    content = pdf_bytes("Altered after upload")
    document = _upload(client, vendor_id, content)
    name = sha256_of(content)
    if tamper is None:
        storage_backend.remove(db, name)
    else:
        storage_backend.rewrite(db, name, tamper(content))
    db.commit()

    response = client.get(f"/api/v1/documents/{document['id']}/content")

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == error
    assert b"%PDF" not in response.content
    assert "attachment" not in response.headers.get("content-disposition", "")
