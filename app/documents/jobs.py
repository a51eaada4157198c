"""What the CLI runs for documents: re-check every stored file against its SHA-256."""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlmodel import Session

from app.core import storage
from app.core.errors import DomainError
from app.core.storage import StoredFile
from app.documents.models import Document


@dataclass
class VerifyReport:
    checked: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)  # one line per damaged or missing file, naming its documents


def verify_files(session: Session) -> VerifyReport:
    """Reads every stored file back from its backend and checks size and hash; names the documents that
    point at each bad one. Reads one chunk at a time, so memory stays flat whatever the store holds."""
    report = VerifyReport()
    users: dict[str, list[int]] = {}
    for sha256, document_id in session.execute(select(Document.sha256, Document.id).order_by(Document.id)):
        users.setdefault(sha256, []).append(document_id)
    for stored in session.scalars(select(StoredFile).order_by(StoredFile.sha256)):
        report.checked += 1
        try:
            storage.verify(storage.open_store(stored.backend, session), stored.sha256, stored.size)  # type: ignore[arg-type]
        except DomainError as error:
            documents = ", ".join(map(str, users.get(stored.sha256, []))) or "none"
            report.problems.append(f"{stored.sha256} ({stored.backend}; documents {documents}): {error.detail}")
        else:
            report.bytes += stored.size
    return report
