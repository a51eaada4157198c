"""Signing assessment records (PAdES, pyHanko), verifying signed PDFs anyone uploads, and the
development CA that `riskreg signing init` makes. Every function is synchronous: call it from a
worker thread or process, never from a coroutine (pyHanko runs its own event loop)."""

import asyncio
import hashlib
import os
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.hazmat.primitives.serialization.pkcs12 import PKCS12PrivateKeyTypes
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier
from pydantic import SecretStr

if TYPE_CHECKING:
    from pyhanko.sign.signers import SimpleSigner

from app.core.errors import Conflict, DomainError, InvalidInput, InvalidState

SIGNING_DIR_NAME = "signing"
CA_CERT_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
SIGNER_P12_FILE = "signer.p12"
PASSPHRASE_FILE = "passphrase.txt"
# Adobe's (Microsoft's) document-signing purpose, and RFC 9336 id-kp-documentSigning.
ADOBE_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.4.1.311.10.3.12")
DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")
TIMESTAMP_TIMEOUT_SECONDS = 10
# Issued certificates start a little in the past so that a clock a few minutes behind accepts them.
_BACKDATE = timedelta(minutes=5)

Passphrase = SecretStr | str | bytes | None
PrivateKey = PKCS12PrivateKeyTypes


# --- errors ------------------------------------------------------------------------------------


class SigningError(DomainError):
    """Signing cannot happen until an operator fixes the configuration; the record is not signed."""

    status_code = 503


class SigningNotConfigured(SigningError):
    pass


class SigningKeyRefused(SigningError):
    """The PKCS#12 file cannot be opened: wrong passphrase, damaged, or no key and certificate in it."""


class SigningCertificateExpired(SigningError):
    pass


class SigningCertificateNotYetValid(SigningError):
    pass


class SigningTimestampUnavailable(SigningError):
    """The RFC 3161 timestamp authority did not answer; signing without it would silently downgrade."""


class SigningFilesExist(Conflict):
    pass


# --- loading the signing key -------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateInfo:
    subject: str
    issuer: str
    not_valid_before: datetime
    not_valid_after: datetime
    fingerprint_sha256: str

    def days_left(self, now: datetime) -> int:
        """Whole days until the certificate expires (negative once it has)."""
        return (self.not_valid_after - now) // timedelta(days=1)


def _secret(passphrase: Passphrase) -> bytes | None:
    if passphrase is None:
        return None
    if isinstance(passphrase, SecretStr):
        passphrase = passphrase.get_secret_value()
    return passphrase.encode() if isinstance(passphrase, str) else passphrase


def _open_p12(p12_path: Path | None, passphrase: Passphrase) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
    """The key, its certificate and the other certificates of a PKCS#12 file, or a SigningError saying
    what to fix."""
    if p12_path is None:
        raise SigningNotConfigured(
            "signing is not configured: set RISKREG_SIGNING_P12 and RISKREG_SIGNING_PASSPHRASE "
            "(for development, `riskreg signing init` makes a local CA and a signing key)"
        )
    try:
        data = Path(p12_path).read_bytes()
    except FileNotFoundError:
        raise SigningNotConfigured(
            f"the signing key {p12_path} does not exist; fix RISKREG_SIGNING_P12 "
            "(or run `riskreg signing init` for a development key)"
        ) from None
    except OSError as exc:
        raise SigningKeyRefused(f"cannot read the signing key {p12_path}: {exc.strerror or exc}") from None
    cache_key = (str(Path(p12_path).resolve()), hashlib.sha256(data).hexdigest(),
                 hashlib.sha256(_secret(passphrase) or b"").hexdigest())
    cached = _OPENED.get(cache_key)
    if cached is not None:
        return cached
    try:
        key, cert, chain = pkcs12.load_key_and_certificates(data, _secret(passphrase))
    except ValueError:
        hint = (
            "RISKREG_SIGNING_PASSPHRASE is not set" if passphrase is None
            else "the passphrase in RISKREG_SIGNING_PASSPHRASE is wrong"
        )
        raise SigningKeyRefused(
            f"cannot open the signing key {p12_path}: {hint}, or the file is not a PKCS#12 (.p12/.pfx) archive"
        ) from None
    if key is None or cert is None:
        raise SigningKeyRefused(
            f"the signing key {p12_path} must hold a private key and its certificate; it holds "
            f"{'no private key' if key is None else 'no certificate for its key'}"
        )
    if len(_OPENED) > 8:  # a handful of keys at most (rotation); never grow without bound
        _OPENED.clear()
    _OPENED[cache_key] = (key, cert, chain)
    return key, cert, chain


# Opened PKCS#12 files by (path, content hash, passphrase hash). Opening one checks the RSA key, which
# costs a fifth of a second and holds the GIL: signing must not pay it on every record.
_OPENED: dict[tuple[str, str, str], tuple[Any, x509.Certificate, list[x509.Certificate]]] = {}


def _describe(cert: x509.Certificate) -> CertificateInfo:
    return CertificateInfo(
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        not_valid_before=cert.not_valid_before_utc,
        not_valid_after=cert.not_valid_after_utc,
        fingerprint_sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def certificate_info(p12_path: Path | None, passphrase: Passphrase) -> CertificateInfo:
    """The signing certificate's subject, issuer, validity window and fingerprint (no validity check)."""
    return _describe(_open_p12(p12_path, passphrase)[1])


def certificate_expiry(p12_path: Path | None, passphrase: Passphrase) -> datetime:
    """When the signing certificate expires (UTC), for reminders to renew it."""
    return certificate_info(p12_path, passphrase).not_valid_after


def check_validity(info: CertificateInfo, *, now: datetime) -> None:
    """Refuse a certificate outside its validity window at `now`: pyHanko would sign with it anyway,
    and every verifier would then reject the record."""
    if now < info.not_valid_before:
        raise SigningCertificateNotYetValid(
            f"the signing certificate ({info.subject}) is not valid until {_iso(info.not_valid_before)}; "
            "check the system clock, or configure a certificate that is valid now"
        )
    if now >= info.not_valid_after:
        raise SigningCertificateExpired(
            f"the signing certificate ({info.subject}) expired on {_iso(info.not_valid_after)}; "
            "renew it and point RISKREG_SIGNING_P12 at the new one "
            "(for development: `riskreg signing init --force`)"
        )


def load_signer(p12_path: Path | None, passphrase: Passphrase, *, now: datetime) -> "SimpleSigner":
    """A pyHanko signer from a PKCS#12 file, refused unless its certificate is valid at `now` and is
    meant for signing (key usage nonRepudiation, which verifiers require). The chain in the file is
    embedded in each signature, so verifiers need only the root."""
    from asn1crypto import keys as asn1_keys
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, cert, chain = _open_p12(p12_path, passphrase)
    check_validity(_describe(cert), now=now)
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.content_commitment:
        raise SigningKeyRefused(
            f"the certificate in {p12_path} is not meant for signing documents (its key usage lacks "
            "nonRepudiation), so verifiers would reject the records it signs; use a document-signing certificate"
        )
    # Built from the key already opened: SimpleSigner.load_pkcs12 would decrypt the file a second time
    # (a tenth of a second) and, on failure, log a traceback and return None.
    der = serialization.Encoding.DER
    return _LoadedKeySigner(
        key,
        signing_cert=_asn1(cert),
        signing_key=asn1_keys.PrivateKeyInfo.load(
            key.private_bytes(der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        ),
        cert_registry=SimpleCertificateStore.from_certs([_asn1(c) for c in chain]),
    )


def _loaded_key_signer_class() -> type:
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from pyhanko.sign import signers
    from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

    class LoadedKeySigner(signers.SimpleSigner):
        """SimpleSigner re-parses (and re-checks) its private key for every signature, twice per PDF;
        this one signs with the key object already opened and checked."""

        def __init__(self, key: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self._key = key

        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                name = mechanism.signature_algo
            except ValueError:
                name = mechanism["algorithm"].native
            if name == "rsassa_pkcs1v15" and isinstance(self._key, rsa.RSAPrivateKey):
                return self._key.sign(data, padding.PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if name == "rsassa_pss" and isinstance(self._key, rsa.RSAPrivateKey):
                pss, hash_algo = process_pss_params(mechanism["parameters"])
                return self._key.sign(data, pss, hash_algo)
            if name == "ecdsa" and isinstance(self._key, ec.EllipticCurvePrivateKey):
                return self._key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)  # other key types: pyHanko's own path

    return LoadedKeySigner


def _LoadedKeySigner(key: Any, **kwargs: Any) -> "SimpleSigner":  # noqa: N802 (a class built lazily)
    global _SIGNER_CLASS
    if _SIGNER_CLASS is None:
        _SIGNER_CLASS = _loaded_key_signer_class()
    return _SIGNER_CLASS(key, **kwargs)


_SIGNER_CLASS: Any = None


# --- signing -----------------------------------------------------------------------------------


def sign_pdf(
    pdf: bytes,
    *,
    signer,  # a pyhanko Signer, such as load_signer's
    field_name: str = "riskreg",
    reason: str | None = None,
    location: str | None = None,
    timestamp_url: str | None = None,
) -> bytes:
    """Sign `pdf` with an invisible PAdES signature appended as an incremental update covering the whole
    document: baseline B-B, or B-T when `timestamp_url` names an RFC 3161 timestamp authority. The
    returned bytes are the new document; `pdf` is its unchanged prefix."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers, timestamps
    from pyhanko.sign.general import SigningError as PyHankoSigningError
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        reason=reason,
        location=location,
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    timestamper = (
        timestamps.HTTPTimeStamper(timestamp_url, timeout=TIMESTAMP_TIMEOUT_SECONDS) if timestamp_url else None
    )
    try:
        writer = IncrementalPdfFileWriter(BytesIO(pdf))
        output = signers.PdfSigner(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    except TimestampRequestError as exc:
        cause = exc.__cause__ or exc
        raise SigningTimestampUnavailable(
            f"the timestamp authority {timestamp_url} did not answer ({type(cause).__name__}: {cause}); "
            "nothing was signed. Retry, or fix or unset RISKREG_SIGNING_TIMESTAMP_URL"
        ) from None
    except PyHankoSigningError as exc:
        raise InvalidState(f"the document cannot be signed: {exc}") from None
    except PdfError as exc:
        raise InvalidInput(f"the document to sign is not a PDF pyHanko can read: {exc}") from None
    return output.getvalue()


def configured_passphrase(settings: Any) -> Passphrase:
    """RISKREG_SIGNING_PASSPHRASE; in development only, the `passphrase.txt` that `riskreg signing init`
    wrote beside the key, so a fresh checkout can sign without copying a secret into the environment."""
    if settings.signing_passphrase is not None or settings.is_production or settings.dyno:
        return settings.signing_passphrase
    path = settings.signing_p12_path
    beside = path.parent / "passphrase.txt" if path is not None else None
    if beside is not None and beside.is_file():
        return beside.read_text().strip()
    return None


def configured_signer(*, now: datetime) -> "SimpleSigner":
    """The configured signer (RISKREG_SIGNING_*), refusing a certificate not valid at `now`."""
    from app.core.config import get_settings

    settings = get_settings()
    return load_signer(settings.signing_p12_path, configured_passphrase(settings), now=now)


def signature_options() -> dict[str, Any]:
    from app.core.config import get_settings

    settings = get_settings()
    return {"reason": settings.signing_reason, "location": settings.signing_location,
            "timestamp_url": settings.signing_timestamp_url}


def sign_with_settings(pdf: bytes, *, now: datetime) -> bytes:
    """Sign with the configured key (RISKREG_SIGNING_*), refusing a certificate not valid at `now`."""
    return sign_pdf(pdf, signer=configured_signer(now=now), **signature_options())


# --- verifying ---------------------------------------------------------------------------------

NO_SIGNATURE = "no signature"
APPENDED = "bytes were appended after the signature"
MODIFIED = "the document was modified after signing"
UNTRUSTED = "signed by a certificate we do not trust"


@dataclass(frozen=True)
class Verification:
    """What a signed PDF proves. `ok` only when the signed bytes match, the signer chains to a trusted
    root, and the signature covers every byte of the file (nothing appended)."""

    intact: bool
    trusted: bool
    covers_entire_file: bool
    signer_subject: str | None
    signer_fingerprint_sha256: str | None
    signed_at: datetime | None  # from a trusted timestamp when `timestamped`, else as the signer claims
    sha256: str
    problems: list[str] = field(default_factory=list)
    timestamped: bool = False

    @property
    def ok(self) -> bool:
        return self.intact and self.trusted and self.covers_entire_file


def load_trust_roots(path: Path) -> list[x509.Certificate]:
    """Every certificate in a PEM file (a bundle may hold several CAs, such as earlier ones)."""
    try:
        certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except FileNotFoundError:
        raise SigningNotConfigured(f"the trust roots file {path} does not exist; fix RISKREG_SIGNING_TRUST_ROOTS") from None
    except OSError as exc:
        raise SigningNotConfigured(f"cannot read the trust roots file {path}: {exc.strerror or exc}") from None
    except ValueError:
        raise SigningNotConfigured(
            f"the trust roots file {path} holds no PEM certificates; RISKREG_SIGNING_TRUST_ROOTS must name a "
            "PEM file of CA certificates"
        ) from None
    return certs


def _asn1(cert: x509.Certificate | asn1_x509.Certificate) -> asn1_x509.Certificate:
    if isinstance(cert, asn1_x509.Certificate):
        return cert
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def _validate(embedded, roots: list[asn1_x509.Certificate], moment: datetime | None):
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    # No fetching: a verifier must not make network calls chosen by an uploaded file's certificates.
    context = ValidationContext(trust_roots=roots, moment=moment, allow_fetching=False)
    return validate_pdf_signature(embedded, signer_validation_context=context)


def _certificate_trusted(status) -> bool:
    """The signer's certificate chains to a trusted root and is valid at the validation time, whatever
    the state of the document (pyHanko's `trusted` is also false for a damaged document)."""
    return status.trust_problem_indic is None and status.validation_path is not None and not status.revoked


def _untrusted_reason(status, moment: datetime) -> str:
    cert = status.signing_cert
    if status.revoked:
        return f"{UNTRUSTED}: its certificate was revoked"
    if moment >= cert.not_valid_after:
        return (f"{UNTRUSTED}: its certificate expired on {_iso(cert.not_valid_after)} and no trusted "
                "timestamp proves the document was signed before")
    if moment < cert.not_valid_before:
        return f"{UNTRUSTED}: its certificate is not valid until {_iso(cert.not_valid_before)}"
    indication = getattr(status.trust_problem_indic, "name", None) or "certificate path invalid"
    if status.validation_path is None or indication in ("NO_CERTIFICATE_CHAIN_FOUND",
                                                        "CERTIFICATE_CHAIN_GENERAL_FAILURE"):
        return f"{UNTRUSTED}: it does not chain to a trusted root certificate"
    return f"{UNTRUSTED} ({indication.replace('_', ' ').lower()})"


def verify_pdf(
    pdf: bytes,
    *,
    trust_roots: Sequence[x509.Certificate | asn1_x509.Certificate],
    at: datetime | None = None,
) -> Verification:
    """Check the last signature of `pdf` (the one that must cover the whole file) at `at` (default: now).
    Never raises on bad input: garbage, an empty or truncated file, or an unsigned PDF come back with
    `problems`. A signer certificate that expired since signing is still trusted when a timestamp,
    itself trusted, shows the document was signed while the certificate was valid."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:  # pyHanko would fail inside, and that failure would read as a bad signature
        raise RuntimeError("verify_pdf is synchronous: call it from a worker thread (a sync route), not a coroutine")
    digest = hashlib.sha256(pdf).hexdigest()
    if not pdf:
        return _failed(digest, "the file is empty")
    moment = datetime.now(UTC) if at is None else at if at.tzinfo else at.replace(tzinfo=UTC)
    try:
        roots = [_asn1(root) for root in trust_roots]
        return _verify(pdf, digest, roots, moment)
    except Exception as exc:  # a hostile file may break the parser or the validator in any way
        return _failed(digest, f"the signature cannot be checked ({_short(exc)})")


def _earlier_ends(pdf: bytes, *, limit: int = 4) -> list[int]:
    """Where the file would end at each of its last few `%%EOF` markers but the final one."""
    ends, position = [], len(pdf)
    while len(ends) < limit and (position := pdf.rfind(b"%%EOF", 0, position)) > 0:
        end = position + 5
        end += 2 if pdf[end:end + 2] == b"\r\n" else 1 if pdf[end:end + 1] in (b"\n", b"\r") else 0
        if end < len(pdf):
            ends.append(end)
    return ends


def _failed(digest: str, problem: str, **found) -> Verification:
    values = {"intact": False, "trusted": False, "covers_entire_file": False, "signer_subject": None,
              "signer_fingerprint_sha256": None, "signed_at": None} | found
    return Verification(sha256=digest, problems=[problem], **values)


def _verify(
    pdf: bytes, digest: str, roots: list[asn1_x509.Certificate], moment: datetime, *, look_back: bool = True
) -> Verification:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    try:
        reader = PdfFileReader(BytesIO(pdf))
        embedded = reader.embedded_signatures
    except Exception as exc:
        # Junk appended to a signed file can make the whole unreadable: check the signed part, if any.
        for end in _earlier_ends(pdf) if look_back else []:
            found = _verify(pdf[:end], digest, roots, moment, look_back=False)
            if found.signer_fingerprint_sha256 is not None:
                appended = f"{APPENDED} ({_bytes(len(pdf) - end)} the signature does not cover)"
                return replace(found, covers_entire_file=False, problems=[appended, *found.problems])
        return _failed(digest, f"not a readable PDF ({_short(exc)})")
    if not embedded:
        return _failed(digest, NO_SIGNATURE)
    signature = embedded[-1]
    try:
        cert_der = signature.signer_cert.dump()
        subject = x509.load_der_x509_certificate(cert_der).subject.rfc4514_string()
    except Exception as exc:
        return _failed(digest, f"the signature cannot be read ({_short(exc)})")
    fingerprint = hashlib.sha256(cert_der).hexdigest()
    try:
        status = _validate(signature, roots, moment)
    except Exception as exc:
        return _failed(digest, f"the signature cannot be checked ({_short(exc)})",
                       signer_subject=subject, signer_fingerprint_sha256=fingerprint)

    timestamp = status.timestamp_validity
    timestamped = bool(timestamp is not None and timestamp.intact and timestamp.valid and timestamp.trusted)
    trusted = _certificate_trusted(status)
    if not trusted and timestamped and moment >= status.signing_cert.not_valid_after:
        # Point in time: was the certificate good when the trusted timestamp says the signature existed?
        trusted = _certificate_trusted(_validate(signature, roots, timestamp.timestamp))

    problems: list[str] = []
    intact = bool(status.intact and status.valid)
    if not status.intact:
        problems.append(f"{MODIFIED}: the signed bytes no longer match the signature")
    elif not status.valid:
        problems.append("the signature value is invalid: the signature itself was altered")
    covers = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    if not covers:
        _, first, _, second = (int(n) for n in signature.byte_range)
        extra = len(pdf) - (first + second + len(signature.pkcs7_content) * 2 + 2)
        problems.append(f"{APPENDED} ({_bytes(extra)} the signature does not cover)" if extra > 0
                        else f"{APPENDED}: the signature does not cover the file in the standard way")
        later = reader.xrefs.total_revisions - 1 - signature.signed_revision
        if later > 0:
            problems.append(f"{MODIFIED}: {later} later revision{'s' if later > 1 else ''} "
                            "change the document after the signature")
    if not trusted and (intact or status.trust_problem_indic is not None):  # else trust was never evaluated
        problems.append(_untrusted_reason(status, moment))
    signed_at = timestamp.timestamp if timestamped else status.signer_reported_dt
    return Verification(
        intact=intact,
        trusted=trusted,
        covers_entire_file=covers,
        signer_subject=subject,
        signer_fingerprint_sha256=fingerprint,
        signed_at=signed_at.astimezone(UTC) if signed_at else None,
        sha256=digest,
        problems=problems,
        timestamped=timestamped,
    )


def verify_with_settings(pdf: bytes, *, at: datetime | None = None) -> Verification:
    """verify_pdf against the configured trust roots (RISKREG_SIGNING_TRUST_ROOTS)."""
    from app.core.config import get_settings

    path = get_settings().signing_trust_roots_path
    if path is None:
        raise SigningNotConfigured(
            "no trust roots to verify signatures against: set RISKREG_SIGNING_TRUST_ROOTS to a PEM file of "
            "CA certificates (for development, `riskreg signing init` writes one)"
        )
    return verify_pdf(pdf, trust_roots=load_trust_roots(path), at=at)


# --- the development CA ------------------------------------------------------------------------


@dataclass(frozen=True)
class InitResult:
    directory: Path
    ca_cert: Path
    ca_key: Path
    signer_p12: Path
    passphrase_file: Path
    expires_at: datetime  # the signing certificate's end of validity
    kept_earlier_roots: int  # CA certificates of an earlier `init` kept in ca.pem, so old records verify


def _name(organisation: str, common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _new_key() -> rsa.RSAPrivateKey:
    # RSA rather than ECDSA: every PDF reader verifies it, old ones included.
    return rsa.generate_private_key(public_exponent=65537, key_size=3072)


def _write_private(path: Path, data: bytes) -> None:
    """Write a file readable by its owner only (0600 from creation, not chmod-ed afterwards), crash-safe."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def init_local_ca(
    directory: Path,
    *,
    days: int = 365,
    now: datetime,
    organisation: str = "riskreg (development)",
    force: bool = False,
) -> InitResult:
    """Make a development CA and a signing certificate it issues, valid `days` days from `now` (the CA
    for twice as long): ca.pem (certificate only), ca-key.pem, signer.p12 and the p12's generated
    passphrase in passphrase.txt, all private files 0600. Refuses to overwrite unless `force`; with
    `force` the CA certificates already in ca.pem stay in it, so records they signed still verify."""
    if days < 1:
        raise InvalidInput("the signing certificate must be valid for at least 1 day")
    directory = Path(directory)
    paths = {name: directory / name for name in (CA_CERT_FILE, CA_KEY_FILE, SIGNER_P12_FILE, PASSPHRASE_FILE)}
    existing = [path.name for path in paths.values() if path.exists()]
    if existing and not force:
        raise SigningFilesExist(
            f"{directory} already holds {', '.join(existing)}; nothing was written. Pass --force to replace "
            "them (records signed with the old key keep verifying: its CA stays in ca.pem)"
        )
    earlier: list[x509.Certificate] = []
    if force and paths[CA_CERT_FILE].exists():
        try:
            earlier = x509.load_pem_x509_certificates(paths[CA_CERT_FILE].read_bytes())
        except (OSError, ValueError):
            earlier = []
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    start = now - _BACKDATE
    ca_key, signer_key = _new_key(), _new_key()
    # Unique names: a verifier picks the issuer by name, so two CAs must never share one.
    ca_name = _name(organisation, f"riskreg development CA {now:%Y-%m-%d} {secrets.token_hex(4)}")
    ca_ski = x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + timedelta(days=2 * days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(ca_ski, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    expires_at = now + timedelta(days=days)
    signer_cert = (
        x509.CertificateBuilder()
        .subject_name(_name(organisation, "riskreg assessment records"))
        .issuer_name(ca_name)
        .public_key(signer_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(expires_at)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, ADOBE_DOCUMENT_SIGNING, DOCUMENT_SIGNING]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(signer_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    passphrase = secrets.token_urlsafe(32)
    p12 = pkcs12.serialize_key_and_certificates(
        b"riskreg signer", signer_key, signer_cert, [ca_cert],
        serialization.BestAvailableEncryption(passphrase.encode()),
    )
    pem = serialization.Encoding.PEM
    kept = [cert for cert in earlier if cert.fingerprint(hashes.SHA256()) != ca_cert.fingerprint(hashes.SHA256())]
    # The passphrase goes first: a crash before signer.p12 is written leaves no key nobody can open.
    _write_private(paths[PASSPHRASE_FILE], passphrase.encode() + b"\n")
    _write_private(paths[CA_KEY_FILE], ca_key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    _write_private(paths[SIGNER_P12_FILE], p12)
    _write_private(paths[CA_CERT_FILE], b"".join(cert.public_bytes(pem) for cert in [ca_cert, *kept]))
    os.chmod(paths[CA_CERT_FILE], 0o644)  # a certificate is public: verifiers need it
    return InitResult(
        directory=directory,
        ca_cert=paths[CA_CERT_FILE],
        ca_key=paths[CA_KEY_FILE],
        signer_p12=paths[SIGNER_P12_FILE],
        passphrase_file=paths[PASSPHRASE_FILE],
        expires_at=expires_at,
        kept_earlier_roots=len(kept),
    )


def _key_usage(**enabled: bool) -> x509.KeyUsage:
    names = ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
             "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only")
    return x509.KeyUsage(**{name: enabled.get(name, False) for name in names})


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _bytes(count: int) -> str:
    return f"{count} byte{'' if count == 1 else 's'}"


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
