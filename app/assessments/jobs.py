"""Record verification, shared by `POST /api/v1/records/verify` and `riskreg records verify FILE`."""

from datetime import date

from sqlmodel import Session

from app.assessments import service as assessment_service
from app.assessments.schemas import RecordAssessment, VerificationPublic
from app.core.config import get_settings
from app.core.errors import PayloadTooLarge
from app.documents.service import UnsupportedFileType, sniff

MAX_RECORD_BYTES = 50 * 1024 * 1024


class RecordTooLarge(PayloadTooLarge):
    pass


def verify_record(session: Session, data: bytes) -> VerificationPublic:
    """Checks signature integrity, trust and coverage, finds the assessment by the file's SHA-256, and
    recomputes the embedded snapshot's scores. Never raises on a bad file: it says what is wrong."""
    from app.core import signing

    if len(data) > MAX_RECORD_BYTES:
        raise RecordTooLarge(f"A record is at most {MAX_RECORD_BYTES} bytes; this file is larger.")
    if sniff(data[:1024]) != "application/pdf":
        raise UnsupportedFileType("A record is a PDF; this file is an image. Upload the PDF record as downloaded.")
    roots_path = get_settings().signing_trust_roots_path
    roots = signing.load_trust_roots(roots_path) if roots_path is not None else []
    verification = signing.verify_pdf(data, trust_roots=roots)
    assessment = assessment_service.find_by_record(session, verification.sha256)
    embedded = assessment_service.embedded_snapshot(data)
    recomputes = None if embedded is None else assessment_service.recomputes(embedded)
    problems = list(verification.problems)
    if roots_path is None:
        problems.append("this register has no trust roots configured (RISKREG_SIGNING_TRUST_ROOTS), so no signer "
                        "can be trusted; `riskreg signing init` sets one up for development")
    if assessment is None:
        problems.append("this file is not a record this register signed and stored (no assessment has its SHA-256)")
    if recomputes is False:
        problems.append("the embedded snapshot's scores do not come out the same when recomputed")
    found = None
    if assessment is not None:
        view = assessment_service.state_of(session, assessment, today=date.today())
        found = RecordAssessment(id=assessment.id, integration_id=assessment.integration_id,  # type: ignore[arg-type]
                                 decision=assessment.decision, signed_at=assessment.signed_at,
                                 valid_until=assessment.valid_until, state=view.state)
    return VerificationPublic(
        ok=verification.ok and assessment is not None and recomputes is not False,
        intact=verification.intact, trusted=verification.trusted, covers_entire_file=verification.covers_entire_file,
        signer=verification.signer_subject, signed_at=verification.signed_at, sha256=verification.sha256,
        matches_stored_record=assessment is not None, recomputes=recomputes, assessment=found, problems=problems,
    )
