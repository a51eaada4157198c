"""`riskreg documents verify`: a real subprocess reading every stored file back against its hash."""

import io
from pathlib import Path

import pytest
from sqlalchemy import text

from app.core.storage import StoredFile
from app.documents import service as document_service
from app.documents.schemas import DocumentUpload
from tests.auth.test_cli import Cli, new_cli
from tests.conftest import ScratchDatabases
from tests.documents.helpers import pdf_bytes
from tests.factories import TEST_ACTOR, make_vendor


@pytest.fixture
def cli(scratch: ScratchDatabases, tmp_path: Path) -> Cli:
    return new_cli(scratch, tmp_path)


def stored_dpa(cli: Cli, content: bytes) -> tuple[int, str]:
    from fastapi import UploadFile

    with cli.session() as session:
        vendor = make_vendor(session)
        upload = DocumentUpload(file=UploadFile(io.BytesIO(content), filename="dpa.pdf"), type="dpa", title="DPA")
        document, _ = document_service.upload_document(
            session, actor=TEST_ACTOR, vendor_id=vendor.id, upload=upload, backend="database", max_bytes=1 << 20
        )
        session.commit()
        return document.id, document.sha256  # type: ignore[return-value]


def test_verify_passes_on_intact_files_and_names_the_document_of_a_damaged_one(cli: Cli, backend: str) -> None:
    assert cli("documents", "verify").stdout.startswith("stored files intact: 0 files")
    doc_id, sha256 = stored_dpa(cli, pdf_bytes("one"))
    stored_dpa(cli, pdf_bytes("two"))
    ok = cli("documents", "verify")
    assert ok.returncode == 0 and "2 files" in ok.stdout, ok.stderr
    with cli.session() as session:  # damage one chunk behind the application's back
        assert session.get(StoredFile, sha256) is not None
        session.execute(text("DROP TRIGGER file_chunk_no_update" + (" ON file_chunk" if backend == "postgresql" else "")))
        session.execute(text("UPDATE file_chunk SET data = :d WHERE sha256 = :s"), {"d": b"%PDF-forged", "s": sha256})
        session.commit()
    damaged = cli("documents", "verify")
    assert damaged.returncode == 1
    assert f"DAMAGED {sha256} (database; documents {doc_id})" in damaged.stderr
    assert "1 of 2 stored files failed" in damaged.stderr and "Traceback" not in damaged.stderr
