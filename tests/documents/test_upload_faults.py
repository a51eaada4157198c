"""Uploads against a real server process (`riskreg serve`, uvicorn): oversized and endless bodies, a
server killed mid-upload, a restart, hostile multipart. What a user or an operator would notice:
the status and error, rows in the database, files on disk, disk space held by the server.

One server for the module, with its own SQLite file, filesystem storage and TMPDIR (where Starlette
spools an upload part over 1 MiB: an unnamed file, visible only in /proc/<pid>/fd). The server runs
with RISKREG_MAX_UPLOAD_BYTES = 5 MiB (instead of 25 MiB) so that a body over the limit is quick to
send; nothing here depends on the value. Linux only (/proc, SIGKILL), like CI: elsewhere the module is
skipped, except under CI=... where it fails; a server that does not start fails the tests, never skips
them. About 12 s in all, most of it server start-ups.
"""

import hashlib
import os
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.main import UPLOAD_OVERHEAD
from tests.documents.helpers import pdf_bytes
from tests.live_server import (
    LiveServer,
    RawConnection,
    chunked,
    count_rows,
    files_under,
    multipart,
    request_head,
    riskreg,
    server_environment,
)

if not Path("/proc/self/fd").is_dir():  # never on CI, which is Linux: there the tests must run
    if os.environ.get("CI"):
        pytest.fail("the live-server upload tests need Linux (/proc), and CI must run them", pytrace=False)
    pytest.skip("the live-server upload tests need Linux (/proc/<pid>/fd)", allow_module_level=True)

MiB = 1024 * 1024
MAX_UPLOAD = 5 * MiB
ROUTE_LIMIT = MAX_UPLOAD + UPLOAD_OVERHEAD  # what BodySizeLimitMiddleware allows on the upload route
BOUNDARY = "riskreg-fault-boundary-7d1e"
FORM = f"multipart/form-data; boundary={BOUNDARY}"
SPOOL_LIMIT = 1 * MiB  # Starlette's MultiPartParser.spool_max_size: larger file parts go to TMPDIR


@dataclass
class Live:
    base: Path
    server: LiveServer
    token: str
    vendor_id: int

    @property
    def database(self) -> Path:
        return self.base / "db.sqlite3"

    @property
    def files(self) -> Path:
        return self.base / "files"

    @property
    def tmp(self) -> Path:
        return self.base / "tmp"

    @property
    def upload_path(self) -> str:
        return f"/api/v1/vendors/{self.vendor_id}/documents"

    def client(self) -> httpx.Client:
        return self.server.client(self.token)

    def head(self, **headers: str) -> bytes:
        return request_head("POST", self.upload_path, {"Authorization": f"Bearer {self.token}", **headers})

    def documents_listed(self) -> int:
        with self.client() as client:
            response = client.get(self.upload_path)
        assert response.status_code == 200, response.text
        return int(response.json()["total"])


@dataclass(frozen=True)
class State:
    """What an operator would look at: rows, stored files, temporary files."""

    documents: int
    stored_files: int
    files: frozenset[Path]
    tmp: tuple[Path, ...]


def state(live: Live) -> State:
    return State(
        documents=count_rows(live.database, "document"),
        stored_files=count_rows(live.database, "stored_file"),
        files=frozenset(files_under(live.files)),
        tmp=tuple(files_under(live.tmp)),
    )


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    base = tmp_path_factory.mktemp("live-server")
    env = server_environment(base, RISKREG_MAX_UPLOAD_BYTES=str(MAX_UPLOAD))
    riskreg("migrate", env=env)
    riskreg("users", "create", "--email", "faults@example.com", "--role", "admin", "--generate-password", env=env)
    token = riskreg("tokens", "create", "--email", "faults@example.com", "--name", "upload faults", env=env).strip()
    assert token and "\n" not in token, f"expected the token alone on stdout, got {token!r}"
    server = LiveServer(base, env)
    server.start()
    try:
        with server.client(token) as client:
            created = client.post("/api/v1/vendors", json={"legal_name": "Faulty Uploads Ltd", "name": "Faulty", "country": "GB"})
        assert created.status_code == 201, created.text
        yield Live(base=base, server=server, token=token, vendor_id=created.json()["id"])
    finally:
        server.stop()


@pytest.fixture
def running(live: Live) -> Iterator[Live]:
    """The live server, started again if the test before killed it; afterwards it must still be healthy
    and must not hold a temporary file (disk space nobody can see or free without a restart)."""
    if not live.server.alive():
        live.server.start()
    yield live
    if live.server.process is None:  # killed by the test (which failed before it restarted the server)
        return
    assert live.server.alive(), f"the server died:\n{live.server.log_text()[-3000:]}"
    assert live.server.open_files_under(live.tmp) == []
    assert "unhandled error" not in live.server.log_text(), live.server.log_text()[-3000:]


def unique_pdf(size: int) -> bytes:
    """A valid PDF of about `size` bytes that no other test uploads (so nothing is deduplicated)."""
    return pdf_bytes(f"fault test {uuid.uuid4()}", pad=size)


def file_part_start(file_name: str = "agreement.pdf") -> bytes:
    """The form fields, then the headers of the file part: what precedes the file's bytes."""
    fields = multipart(BOUNDARY, [("type", "dpa"), ("title", "Data processing agreement")])
    fields = fields.removesuffix(f"--{BOUNDARY}--\r\n".encode())
    return fields + (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()


def upload_body(content: bytes) -> bytes:
    return multipart(
        BOUNDARY, [("type", "dpa"), ("title", "Data processing agreement")],
        [("file", "agreement.pdf", "application/pdf", content)],
    )


def pieces(data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start:start + size]


def assert_refused_as_too_large(response: object) -> None:
    status, body = response.status, response.json()  # type: ignore[attr-defined]
    assert status == 413, body
    assert body["error"] == "PayloadTooLarge"
    assert str(ROUTE_LIMIT) in body["detail"]


def wait_for(condition: object, *, timeout: float = 10.0, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting until {what}")
        time.sleep(0.005)


# --- 1. bodies over the limit --------------------------------------------------------------------


def test_a_2_gib_upload_is_refused_by_its_content_length_without_reading_the_body(running: Live) -> None:
    before = state(running)
    began = time.monotonic()
    with RawConnection(running.server.port) as connection:
        connection.send(running.head(**{"Content-Type": FORM, "Content-Length": str(2 * 1024**3)}), counts_as_body=False)
        connection.send_all([file_part_start(), *pieces(b"%PDF-1.7\n" + b"0" * MiB)])  # 1 MiB of the 2 GiB
        response = connection.response()
        # It hangs up rather than wait for (and read) the other 2 GiB.
        assert connection.closed_by_server(timeout=5)

    assert_refused_as_too_large(response)
    assert response.headers["connection"] == "close"
    assert time.monotonic() - began < 5
    assert state(running) == before
    assert before.tmp == ()
    assert running.documents_listed() == before.documents


def test_a_chunked_upload_of_unknown_size_is_cut_off_at_the_limit_and_nothing_is_kept(running: Live) -> None:
    total = 40 * MiB
    pdf_looking = (b"%PDF-1.7\n" + b"1 0 obj << /Length 0 >> stream\n" + bytes(range(256)) * 256)[: 64 * 1024]

    def body() -> Iterator[bytes]:  # ~40 MiB made on the fly, never held whole
        yield file_part_start()
        for _ in range(total // len(pdf_looking)):
            yield pdf_looking
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    before = state(running)
    chunks = chunked(body())
    with RawConnection(running.server.port) as connection:
        connection.send(running.head(**{"Content-Type": FORM, "Transfer-Encoding": "chunked"}), counts_as_body=False)
        connection.send_all(chunks)  # until the server answers
        response = connection.response()
        # Answered while the body was still coming; the spooled part in TMPDIR is already gone.
        assert ROUTE_LIMIT < response.sent < total
        assert running.server.open_files_under(running.tmp) == []
        # A client that ignores the 413 and sends the rest: uvicorn reads and discards it (the connection
        # stays open, as the 413 from inside the app is not `Connection: close`); none of it is kept.
        connection.send_all(chunks, stop_when_answered=False)
        assert running.server.open_files_under(running.tmp) == []

    assert_refused_as_too_large(response)
    assert state(running) == before, "the refused upload left rows, files or temporary files behind"
    assert before.tmp == ()
    assert running.documents_listed() == before.documents


# --- 2. the server killed during an upload -------------------------------------------------------


def test_a_server_killed_while_the_body_arrives_leaves_no_row_no_file_and_no_temporary_file(running: Live) -> None:
    content = unique_pdf(4 * MiB)
    body = upload_body(content)
    before = state(running)
    server = running.server
    with RawConnection(server.port) as connection:
        connection.send(running.head(**{"Content-Type": FORM, "Content-Length": str(len(body))}), counts_as_body=False)
        connection.send_all(pieces(body[: 2 * MiB]))
        # Killed only once the part has been spooled to a file in TMPDIR: mid-upload, with disk in use.
        wait_for(lambda: server.open_files_under(running.tmp), what="the server spools the upload to TMPDIR")
        assert connection.answer() is None
        server.kill()

    assert state(running) == before  # checked on disk while the server is down
    server.start()
    assert state(running) == before
    assert count_rows(running.database, "document") == before.documents
    assert running.documents_listed() == before.documents


def _assert_consistent(live: Live, content: bytes) -> None:
    """After a crash: the document is there and downloads intact, or there is no trace of it in the
    database. A stored file with no row is allowed (content-addressed, harmless) only if its bytes hash
    to its name; a row whose file is missing or damaged is not."""
    sha256 = hashlib.sha256(content).hexdigest()
    for path in files_under(live.files):
        assert path.relative_to(live.files).parts == (path.name[:2], path.name[2:4], path.name), path
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name, f"{path} does not hash to its name"
    on_disk = {path.name for path in files_under(live.files)}
    with sqlite3.connect(live.database) as db:
        stored = [row[0] for row in db.execute("SELECT sha256 FROM stored_file WHERE backend = 'filesystem'")]
        documents = db.execute("SELECT id FROM document WHERE sha256 = ?", (sha256,)).fetchall()
        stored_row = db.execute("SELECT size FROM stored_file WHERE sha256 = ?", (sha256,)).fetchall()
    missing = [s for s in stored if s not in on_disk]
    assert not missing, f"stored_file rows whose file is missing: {missing}"
    assert files_under(live.tmp) == []
    if not documents:
        assert stored_row == [], "a stored_file row committed without its document"
        return
    assert stored_row == [(len(content),)]
    with live.client() as client:
        (document_id,) = documents[0]
        downloaded = client.get(f"/api/v1/documents/{document_id}/content")
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    assert hashlib.sha256(downloaded.content).hexdigest() == sha256
    assert downloaded.headers["etag"] == f'"sha256:{sha256}"'


@pytest.mark.parametrize("moment", ["right after the body is sent", "as soon as the file is on disk"])
def test_a_server_killed_while_it_stores_an_upload_leaves_a_consistent_state(running: Live, moment: str) -> None:
    content = unique_pdf(2 * MiB)
    sha256 = hashlib.sha256(content).hexdigest()
    target = running.files / sha256[:2] / sha256[2:4] / sha256
    body = upload_body(content)
    server = running.server
    with RawConnection(server.port) as connection:
        connection.send(running.head(**{"Content-Type": FORM, "Content-Length": str(len(body))}), counts_as_body=False)
        connection.send_all(pieces(body))
        assert connection.sent == len(body)
        if moment == "as soon as the file is on disk":  # between the file's link and the row's commit, or just after
            wait_for(lambda: target.exists() or connection.answer() is not None, what="the file is stored")
        server.kill()

    server.start()
    _assert_consistent(running, content)
    assert running.documents_listed() == count_rows(running.database, "document")

    # The user tries again: it works whatever the crash left, and the file downloads intact.
    with running.client() as client:
        retried = client.post(
            running.upload_path, data={"type": "dpa", "title": "Data processing agreement"},
            files={"file": ("agreement.pdf", content, "application/pdf")},
        )
        assert retried.status_code == 201, retried.text
        downloaded = client.get(f"/api/v1/documents/{retried.json()['id']}/content")
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    _assert_consistent(running, content)


def test_the_audit_trail_verifies_after_the_crashes(running: Live) -> None:
    riskreg("audit", "verify", env=running.server.env)


# --- 3. restarts ----------------------------------------------------------------------------------


def test_an_uploaded_file_downloads_byte_for_byte_after_a_restart(running: Live) -> None:
    content = unique_pdf(SPOOL_LIMIT + 512 * 1024)  # large enough to go through a temporary file
    sha256 = hashlib.sha256(content).hexdigest()
    with running.client() as client:
        created = client.post(
            running.upload_path, data={"type": "dpa", "title": "Signed DPA"},
            files={"file": ("signed dpa.pdf", content, "application/pdf")},
        )
    assert created.status_code == 201, created.text
    assert created.json()["sha256"] == sha256 and created.json()["size"] == len(content)
    assert files_under(running.tmp) == [] and running.server.open_files_under(running.tmp) == []

    running.server.restart()

    with running.client() as client:
        downloaded = client.get(f"/api/v1/documents/{created.json()['id']}/content")
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.content == content
    assert hashlib.sha256(downloaded.content).hexdigest() == sha256
    assert downloaded.headers["etag"] == f'"sha256:{sha256}"'
    assert (running.files / sha256[:2] / sha256[2:4] / sha256).read_bytes() == content


# --- 4. hostile multipart -------------------------------------------------------------------------

_GOOD = upload_body(pdf_bytes("hostile multipart"))
_FIELD = '--{b}\r\nContent-Disposition: form-data; name="{name}"\r\n{extra}\r\n{value}\r\n'


def _field(name: str, value: str = "x", extra: str = "") -> bytes:
    return _FIELD.format(b=BOUNDARY, name=name, extra=extra, value=value).encode()


HOSTILE: dict[str, tuple[str, bytes, tuple[int, ...]]] = {
    "1,001 form fields": (
        FORM, b"".join(_field(f"f{i}") for i in range(1001)) + _GOOD, (400,),
    ),
    "garbage before the first boundary": (FORM, b"\x00\xffnot multipart at all\r\n" * 50 + _GOOD, (400, 422)),
    "no boundary in the content type": ("multipart/form-data", _GOOD, (400, 422)),
    "a boundary that never appears": ("multipart/form-data; boundary=elsewhere", _GOOD, (400, 422)),
    "a part header of 100 KB": (FORM, _field("title", extra=f"X-Padding: {'a' * 100_000}\r\n") + _GOOD, (400, 413, 422)),
    "a file name of 100 KB": (FORM, upload_body(pdf_bytes()).replace(b"agreement.pdf", b"n" * 100_000 + b".pdf"),
                              (400, 413, 422)),
    "1,000 headers in one part": (FORM, _field("title", extra="X-A: b\r\n" * 1000) + _GOOD, (400, 413, 422)),
    "a body cut off inside the file": (FORM, _GOOD[: len(_GOOD) // 2], (400, 422)),
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_multipart_body_is_refused_quickly_without_a_500(running: Live, case: str) -> None:
    content_type, body, allowed = HOSTILE[case]
    before = state(running)
    began = time.monotonic()
    with running.client() as client:
        response = client.post(running.upload_path, content=body, headers={"Content-Type": content_type})
    elapsed = time.monotonic() - began

    assert response.status_code in allowed, (response.status_code, response.text)
    assert set(response.json()) >= {"error", "detail"}
    assert elapsed < 3, f"took {elapsed:.1f}s"
    assert state(running) == before
