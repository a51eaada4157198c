"""Record verification, shared by `POST /api/v1/records/verify` and `riskreg records verify FILE`."""

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.schemas import RecordAssessment, VerificationPublic
from app.core.config import get_settings
from app.core.errors import PayloadTooLarge
from app.documents.service import UnsupportedFileType, sniff

MAX_RECORD_BYTES = 50 * 1024 * 1024


class RecordTooLarge(PayloadTooLarge):
    pass


@dataclass(frozen=True)
class RecordLookup:
    """The stored assessment a file is, found by its SHA-256 before anything parses the file."""

    sha256: str
    assessment: RecordAssessment | None
    signed_at: datetime | None
    snapshot: dict | None  # the stored snapshot, when the file is a stored record


def lookup_record(session: Session, data: bytes) -> RecordLookup:
    """Size and type checks, then one indexed lookup: the only database work verification needs."""
    if len(data) > MAX_RECORD_BYTES:
        raise RecordTooLarge(f"A record is at most {MAX_RECORD_BYTES} bytes; this file is larger.")
    if sniff(data[:1024]) != "application/pdf":
        raise UnsupportedFileType("A record is a PDF; this file is an image. Upload the PDF record as downloaded.")
    sha256 = hashlib.sha256(data).hexdigest()
    assessment = assessment_service.find_by_record(session, sha256)
    if assessment is None:
        return RecordLookup(sha256, None, None, None)
    view = assessment_service.state_of(session, assessment, today=date.today())
    found = RecordAssessment(id=assessment.id, integration_id=assessment.integration_id,  # type: ignore[arg-type]
                             decision=assessment.decision, signed_at=assessment.signed_at,
                             valid_until=assessment.valid_until, state=view.state)
    return RecordLookup(sha256, found, assessment.signed_at, assessment.snapshot)


def check_record(data: bytes, found: RecordLookup) -> VerificationPublic:
    """Signature integrity, trust and coverage — for a stored record, judged at the time it was signed, so
    records stay valid after the signing certificate expires — and, only for a file that is one of our
    stored records (so its bytes are ours), whether its embedded snapshot recomputes. Needs no database."""
    from app.core import signing

    roots_path = get_settings().signing_trust_roots_path
    roots = signing.load_trust_roots(roots_path) if roots_path is not None else []
    verification = signing.verify_pdf(data, trust_roots=roots, at=found.signed_at)
    recomputes = None
    if found.assessment is not None:
        embedded = assessment_service.embedded_snapshot(data)
        recomputes = None if embedded is None else (
            embedded.get("snapshot") == found.snapshot and assessment_service.recomputes(embedded))
    problems = list(verification.problems)
    if roots_path is None:
        problems.append("this register has no trust roots configured (RISKREG_SIGNING_TRUST_ROOTS), so no signer "
                        "can be trusted; `riskreg signing init` sets one up for development")
    if found.assessment is None:
        problems.append("this file is not a record this register signed and stored (no assessment has its SHA-256)")
    if recomputes is False:
        problems.append("the embedded snapshot differs from the stored one or does not recompute to the same scores")
    return VerificationPublic(
        ok=verification.ok and found.assessment is not None and recomputes is not False,
        intact=verification.intact, trusted=verification.trusted, covers_entire_file=verification.covers_entire_file,
        signer=verification.signer_subject, signed_at=verification.signed_at, sha256=found.sha256,
        matches_stored_record=found.assessment is not None, recomputes=recomputes, assessment=found.assessment,
        problems=problems,
    )


def verify_record(session: Session, data: bytes) -> VerificationPublic:
    """The CLI's one-call form of lookup_record + check_record."""
    return check_record(data, lookup_record(session, data))
