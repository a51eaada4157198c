"""Document use cases: upload (content-addressed, deduplicated), versions, status, policy facts, download."""

import hashlib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, BinaryIO
from urllib.parse import unquote

from sqlalchemy import select
from sqlmodel import Session

from app.audit import service as audit
from app.audit.service import Actor
from app.core import storage
from app.core.errors import Conflict, DomainError, InvalidInput, NotFound, PayloadTooLarge
from app.core.storage import StoredFile
from app.documents import policy
from app.documents.models import Document, DocumentIntegration, DocumentType
from app.documents.schemas import DocumentUpload
from app.documents.status import DocumentStatus, Standing, Terms, standing
from app.integrations.models import Integration
from app.vendors import service as vendor_service


class DocumentNotFound(NotFound):
    pass


class DocumentTooLarge(PayloadTooLarge):
    pass


class UnsupportedFileType(DomainError):
    status_code = 415


class EmptyFile(InvalidInput):
    pass


class DocumentAlreadySuperseded(Conflict):
    pass


class InvalidSupersede(InvalidInput):
    pass


class UnknownIntegration(InvalidInput):
    pass


# What evidence may be: recognised by the first bytes, never by the name or the declared type.
_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
EXTENSIONS = {media_type: ext for _, media_type, ext in _SIGNATURES}
# PDF allows up to 1024 bytes of junk before the header; real files from common tools start with it.
_PDF_WINDOW = 1024


def sniff(head: bytes) -> str:
    """The media type of a file from its first bytes; raises UnsupportedFileType for anything else."""
    if not head:
        raise EmptyFile("The file is empty; attach the signed document itself.")
    for magic, media_type, _ in _SIGNATURES:
        if head.startswith(magic):
            return media_type
    # A PDF header a little way in is allowed (some producers write junk first), but never behind the
    # signature of an executable, an archive or a script: those are what a disguised file looks like.
    if b"%PDF-" in head[:_PDF_WINDOW] and not _looks_like_markup(head) and not _KNOWN_OTHER.match(head):
        return "application/pdf"
    raise UnsupportedFileType(
        f"The file is not a PDF, PNG or JPEG (its content starts like {_describe(head)}), whatever its name "
        "says; export the document as PDF and upload that."
    )


_KNOWN_OTHER = re.compile(
    rb"\A(?:MZ|\x7fELF|#!|PK\x03\x04|\xcf\xfa\xed\xfe|\xca\xfe\xba\xbe|\x1f\x8b|Rar!|7z\xbc\xaf|\xd0\xcf\x11\xe0|"
    rb"\xef\xbb\xbf<|\s*<)"
)


def _looks_like_markup(head: bytes) -> bool:
    start = head[:_PDF_WINDOW].lstrip().lower()
    return start.startswith((b"<", b"\xef\xbb\xbf<"))


def _describe(head: bytes) -> str:
    known = {b"MZ": "a Windows executable", b"\x7fELF": "a Linux executable", b"#!": "a script",
             b"PK\x03\x04": "a ZIP archive (Office documents are ZIPs)", b"\xcf\xfa\xed\xfe": "a macOS executable"}
    for magic, what in known.items():
        if head.startswith(magic):
            return what
    if _looks_like_markup(head):
        return "HTML or XML"
    return "something else"


_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ ()-]+")


def safe_file_name(name: str | None, media_type: str, fallback: str) -> str:
    """A file name safe to show and to offer in Content-Disposition: percent-escapes decoded, the last
    path segment, accents
    folded to ASCII, no control or shell characters, no leading dots, at most 100 characters, and the
    extension of what the bytes really are."""
    # Browsers and httpx percent-encode `"`, CR, LF (and other controls) in multipart file names.
    base = unquote(name or "").replace("\x00", "").replace("\\", "/").rsplit("/", 1)[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    base = " ".join(_UNSAFE_NAME.sub("_", base).split()).strip(" ._")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" ._")[:90] or fallback
    return stem + EXTENSIONS.get(media_type, ".bin")


@dataclass(frozen=True)
class DocumentView:
    document: Document
    integration_ids: list[int]
    superseded_by_id: int | None
    standing: Standing
    on: date


def terms_of(document: Document, *, superseded: bool) -> Terms:
    return Terms(
        type=document.type, signed_on=document.signed_on, effective_on=document.effective_on,
        expires_on=document.expires_on, auto_renews=document.auto_renews, renewal_months=document.renewal_months,
        notice_days=document.notice_days, superseded=superseded,
    )


@dataclass(frozen=True)
class Successor:
    id: int
    takes_over_on: date  # the successor's effective date, or the day it was uploaded if it has none


def _successors(session: Session, ids: Sequence[int]) -> dict[int, Successor]:
    if not ids:
        return {}
    rows = session.execute(
        select(Document.supersedes_id, Document.id, Document.effective_on, Document.created_at)
        .where(Document.supersedes_id.in_(ids))  # type: ignore[union-attr]
    )
    return {old: Successor(new, effective or created.date()) for old, new, effective, created in rows}


def _superseded(successor: Successor | None, today: date) -> bool:
    """A version is superseded on a day only once its successor has taken over: a renewal signed today
    that takes effect next year leaves today's agreement in force until then, and history unchanged."""
    return successor is not None and successor.takes_over_on <= today


def _integrations(session: Session, ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        rows = session.execute(
            select(DocumentIntegration.document_id, DocumentIntegration.integration_id)
            .where(DocumentIntegration.document_id.in_(ids))  # type: ignore[attr-defined]
            .order_by(DocumentIntegration.integration_id)
        )
        for doc_id, integration_id in rows:
            found[doc_id].append(integration_id)
    return found


def _views(session: Session, documents: Sequence[Document], *, today: date, expiring_days: int) -> list[DocumentView]:
    ids = [d.id for d in documents if d.id is not None]
    successors = _successors(session, ids)
    links = _integrations(session, ids)
    return [
        DocumentView(
            document=d, integration_ids=links.get(d.id, []),  # type: ignore[arg-type]
            superseded_by_id=successors[d.id].id if d.id in successors else None,
            standing=standing(terms_of(d, superseded=_superseded(successors.get(d.id), today)),  # type: ignore[arg-type]
                              today=today, expiring_days=expiring_days),
            on=today,
        )
        for d in documents
    ]


def get_document(session: Session, document_id: int) -> Document:
    document = session.get(Document, document_id)
    if document is None:
        raise DocumentNotFound(f"No document with id {document_id}.")
    return document


def view_document(session: Session, document_id: int, *, today: date, expiring_days: int) -> DocumentView:
    return _views(session, [get_document(session, document_id)], today=today, expiring_days=expiring_days)[0]


def list_documents(
    session: Session, vendor_id: int | None, *, today: date, expiring_days: int,
    type: DocumentType | None = None, status: DocumentStatus | None = None,
) -> list[DocumentView]:
    """Documents of one vendor (or of every vendor), newest first. Status is computed for `today`, so it
    filters after loading; a register holds documents in the thousands, not millions."""
    stmt = select(Document).order_by(Document.id.desc())  # type: ignore[union-attr]
    if vendor_id is not None:
        vendor_service.get_vendor(session, vendor_id)
        stmt = stmt.where(Document.vendor_id == vendor_id)
    if type is not None:
        stmt = stmt.where(Document.type == type)
    views = _views(session, list(session.scalars(stmt)), today=today, expiring_days=expiring_days)
    return [v for v in views if status is None or v.standing.status == status]


def versions(session: Session, document_id: int, *, today: date, expiring_days: int) -> list[DocumentView]:
    """Every version of a document, oldest first, whichever version is asked for."""
    first = get_document(session, document_id)
    while first.supersedes_id is not None:
        first = get_document(session, first.supersedes_id)
    chain = [first]
    successors = {old: new for old, new in session.execute(
        select(Document.supersedes_id, Document.id).where(
            Document.vendor_id == first.vendor_id, Document.supersedes_id.is_not(None)  # type: ignore[union-attr]
        )
    )}
    while chain[-1].id in successors:
        chain.append(get_document(session, successors[chain[-1].id]))
    return _views(session, chain, today=today, expiring_days=expiring_days)


def subprocessor_changes(before: list[dict[str, Any]] | None, after: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Sub-processors added, removed, moved to another country or given another purpose, matched by
    name (case-insensitively), in name order."""
    old = {s["name"].casefold(): s for s in before or []}
    new = {s["name"].casefold(): s for s in after or []}
    changes: list[dict[str, Any]] = []
    for key in sorted(old.keys() | new.keys()):
        a, b = old.get(key), new.get(key)
        if a is None:
            changes.append({"name": b["name"], "change": "added", "before": None, "after": b})  # type: ignore[index]
        elif b is None:
            changes.append({"name": a["name"], "change": "removed", "before": a, "after": None})
        elif a.get("country") != b.get("country"):
            changes.append({"name": b["name"], "change": "country_changed", "before": a, "after": b})
        elif a.get("purpose") != b.get("purpose"):
            changes.append({"name": b["name"], "change": "purpose_changed", "before": a, "after": b})
    return changes


def changes_from_previous(session: Session, document: Document) -> list[dict[str, Any]] | None:
    if document.type != DocumentType.dpa or document.supersedes_id is None:
        return None
    previous = get_document(session, document.supersedes_id)
    return subprocessor_changes(previous.subprocessors, document.subprocessors)


def _hash_and_sniff(source: BinaryIO, *, max_bytes: int) -> tuple[str, int, str]:
    source.seek(0)
    head = source.read(_PDF_WINDOW)
    media_type = sniff(head)
    digest = hashlib.sha256(head)
    size = len(head)
    while block := source.read(storage.CHUNK):
        size += len(block)
        if size > max_bytes:
            raise DocumentTooLarge(f"The file is larger than the {max_bytes} bytes allowed; upload a smaller file.")
        digest.update(block)
    if size > max_bytes:
        raise DocumentTooLarge(f"The file is larger than the {max_bytes} bytes allowed; upload a smaller file.")
    source.seek(0)
    return digest.hexdigest(), size, media_type


def store_file(session: Session, source: BinaryIO, *, backend: storage.Backend, max_bytes: int) -> tuple[StoredFile, bool]:
    """Stores the bytes once (content-addressed); returns the stored file and whether it was already there.

    Database backend: the chunks are written in this transaction. Filesystem and S3: the bytes are
    durable before this returns, so the row that points at them can only commit after them."""
    sha256, size, media_type = _hash_and_sniff(source, max_bytes=max_bytes)
    existing = session.get(StoredFile, sha256)
    if existing is not None:
        return existing, True
    stored = StoredFile(sha256=sha256, size=size, media_type=media_type, backend=backend)
    session.add(stored)
    session.flush()  # the row first: database chunks refer to it; it commits only after put() returns
    store = storage.open_store(backend, session)
    if not store.exists(sha256):
        store.put(sha256, source)
    return stored, False


def upload_document(
    session: Session, *, actor: Actor, vendor_id: int, upload: DocumentUpload,
    backend: storage.Backend, max_bytes: int,
) -> tuple[Document, bool]:
    """Checks the terms against the register, stores the file, records the document and its audit event."""
    vendor_service.get_vendor(session, vendor_id)
    if upload.supersedes_id is not None:
        _check_supersedes(session, vendor_id, upload)
    _check_integrations(session, vendor_id, upload.integration_ids)
    if upload.type in ("soc2_type2", "iso27001", "pci_aoc", "pen_test") and not (
        upload.expires_on or upload.effective_on or upload.signed_on
    ):
        raise InvalidInput(
            f"A {upload.type} needs a date to tell whether it is current: give expires_on, or the report date "
            "as effective_on (it is then taken as current for 12 months)."
        )
    stored, deduplicated = store_file(session, upload.file.file, backend=backend, max_bytes=max_bytes)
    terms = upload.model_dump(exclude={"file", "integration_ids", "type", "supersedes_id"})
    document = Document(
        vendor_id=vendor_id, type=upload.type, supersedes_id=upload.supersedes_id, sha256=stored.sha256,
        size=stored.size, media_type=stored.media_type, uploaded_by_id=actor.id if actor.type == "user" else None,
        file_name=safe_file_name(upload.file.filename, stored.media_type, fallback=f"{upload.type}-{vendor_id}"),
        **terms,
    )
    session.add(document)
    session.flush()
    for integration_id in upload.integration_ids:
        session.add(DocumentIntegration(document_id=document.id, integration_id=integration_id))  # type: ignore[arg-type]
    session.flush()
    audit.record(
        session, actor=actor, action="document.uploaded", subject_type="document", subject_id=document.id,
        changes={
            **{k: {"before": None, "after": v} for k, v in audit.facts(document).items() if v is not None},
            "integration_ids": {"before": None, "after": upload.integration_ids},
        },
    )
    return document, deduplicated


def _check_supersedes(session: Session, vendor_id: int, upload: DocumentUpload) -> None:
    old = session.get(Document, upload.supersedes_id)
    if old is None or old.vendor_id != vendor_id:
        raise InvalidSupersede(f"supersedes_id {upload.supersedes_id} is not a document of vendor {vendor_id}.")
    if old.type != upload.type:
        raise InvalidSupersede(
            f"Document {old.id} is a {old.type}; a {upload.type} cannot supersede it (upload it as a new document)."
        )
    newer = session.execute(select(Document.id).where(Document.supersedes_id == old.id)).scalar_one_or_none()
    if newer is not None:
        raise DocumentAlreadySuperseded(
            f"Document {old.id} was already superseded by document {newer}; supersede {newer} instead."
        )


def _check_integrations(session: Session, vendor_id: int, ids: Sequence[int]) -> None:
    if not ids:
        return
    found = set(session.scalars(
        select(Integration.id).where(Integration.id.in_(ids), Integration.vendor_id == vendor_id)  # type: ignore[union-attr]
    ))
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownIntegration(
            f"Integration(s) {', '.join(map(str, missing))} do not exist or belong to another vendor than {vendor_id}."
        )


def open_content(session: Session, document: Document) -> tuple[StoredFile, storage.BlobStore]:
    """The stored file behind a document and its store, after checking the whole file against its hash."""
    stored = session.get(StoredFile, document.sha256)
    if stored is None:  # the foreign key makes this impossible short of manual surgery
        raise storage.StoredFileMissing(f"Document {document.id} has no stored file record.")
    store = storage.open_store(stored.backend, session)  # type: ignore[arg-type]
    storage.verify(store, stored.sha256, stored.size)
    return stored, store


def stream_content(stored: StoredFile, bind: Any) -> Iterator[bytes]:
    """Streams a verified file a second time, hashing again: bytes that change between the check and
    the send break the response off instead of completing it. Opens its own session on `bind`, since
    the response is sent after the request's session has closed."""
    with storage.reading_store(stored.backend, bind) as store:  # type: ignore[arg-type]
        yield from storage.read_verified(store, stored.sha256, stored.size)


# --- policy facts -------------------------------------------------------------------------------

def vendor_facts(session: Session, vendor_id: int, *, today: date, expiring_days: int) -> policy.VendorFacts:
    """What the vendor's documents establish on `today`: DPA/BAA in force, PCI AoC in date, mechanisms."""
    documents = list(session.scalars(select(Document).where(Document.vendor_id == vendor_id)))
    successors = _successors(session, [d.id for d in documents])  # type: ignore[misc]
    return policy.vendor_facts(
        [policy.DocumentFacts(id=d.id, terms=terms_of(d, superseded=_superseded(successors.get(d.id), today)),  # type: ignore[arg-type]
                              transfer_mechanism=d.transfer_mechanism) for d in documents],
        today=today, expiring_days=expiring_days,
    )


@dataclass(frozen=True)
class VendorDocuments:
    facts: policy.VendorFacts
    views: dict[int, DocumentView]  # every version of every document of the vendor, by id, standing on the day


def vendor_facts_many(
    session: Session, vendor_ids: Sequence[int] | None, *, today: date, expiring_days: int
) -> dict[int, VendorDocuments]:
    """`vendor_facts` for many vendors at once, with each vendor's documents and their standing, so the
    documents the facts cite can be shown. One query per 1,000 vendors (or one for every vendor when
    `vendor_ids` is None); a vendor without documents gets empty facts."""
    documents: list[Document] = []
    if vendor_ids is None:
        documents = list(session.scalars(select(Document)))
    else:
        wanted = sorted(set(vendor_ids))
        for start in range(0, len(wanted), 1000):
            documents.extend(session.scalars(select(Document).where(
                Document.vendor_id.in_(wanted[start:start + 1000]))))  # type: ignore[attr-defined]
    # A version and its successor belong to the same vendor, so every successor is among these rows.
    successors = {d.supersedes_id: Successor(d.id, d.effective_on or d.created_at.date())  # type: ignore[arg-type]
                  for d in documents if d.supersedes_id is not None}
    by_vendor: dict[int, list[Document]] = {v: [] for v in (vendor_ids or ())}
    for document in documents:
        by_vendor.setdefault(document.vendor_id, []).append(document)
    found: dict[int, VendorDocuments] = {}
    for vendor_id, docs in by_vendor.items():
        views: dict[int, DocumentView] = {}
        facts_in: list[policy.DocumentFacts] = []
        for d in docs:
            successor = successors.get(d.id)
            terms = terms_of(d, superseded=_superseded(successor, today))
            views[d.id] = DocumentView(  # type: ignore[index]
                document=d, integration_ids=[], superseded_by_id=successor.id if successor else None,
                standing=standing(terms, today=today, expiring_days=expiring_days), on=today)
            facts_in.append(policy.DocumentFacts(id=d.id, terms=terms, transfer_mechanism=d.transfer_mechanism))  # type: ignore[arg-type]
        found[vendor_id] = VendorDocuments(
            facts=policy.vendor_facts(facts_in, today=today, expiring_days=expiring_days), views=views)
    return found


def document_views(session: Session, documents: Sequence[Document], *, today: date, expiring_days: int) -> list[DocumentView]:
    """Documents as `list_documents` shows them (status on `today`, integrations, successor), two queries
    whatever their number: for reading a long list in batches."""
    return _views(session, documents, today=today, expiring_days=expiring_days)


def integration_gates(session: Session, integration: Integration, *, facts: policy.VendorFacts) -> list[Any]:
    """The document gates (GDPR DPA and transfers, HIPAA BAA, PCI AoC) for one integration, given the
    facts of its vendor's documents on a day."""
    return policy.document_gates(
        facts, data_categories=integration.data_categories, transfer_countries=integration.transfer_countries
    )


def vendor_transfer_countries(session: Session, vendor_id: int) -> list[str]:
    rows = session.scalars(
        select(Integration.transfer_countries).where(Integration.vendor_id == vendor_id, Integration.status != "retired")
    )
    return sorted({c for countries in rows for c in countries or []})


def version_chains(views: Sequence[DocumentView]) -> list[list[DocumentView]]:
    """Views grouped into their version lines, each newest version first; the lines ordered by their
    newest version, newest first. A version whose successor is not among `views` starts a line."""
    by_id = {v.document.id: v for v in views}
    newest = [v for v in views if v.superseded_by_id is None or v.superseded_by_id not in by_id]
    chains = []
    for head in sorted(newest, key=lambda v: v.document.id or 0, reverse=True):
        chain = [head]
        while (previous := chain[-1].document.supersedes_id) in by_id and len(chain) < len(by_id):
            chain.append(by_id[previous])
        chains.append(chain)
    return chains
