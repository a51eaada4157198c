"""Signing assessment records and verifying signed PDFs: the certificate's validity is checked before
signing, and a record verifies only when intact, trusted and covering every byte of the file."""

import os
import shutil
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from app.core import signing
from app.core.config import get_settings
from app.core.errors import DomainError
from app.demo.pdf import minimal_pdf
from tests.conftest import unavailable

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime.now(UTC)
TEXT = "riskreg assessment record 42"


# --- fixtures ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dev_ca(tmp_path_factory: pytest.TempPathFactory) -> signing.InitResult:
    return signing.init_local_ca(tmp_path_factory.mktemp("ca"), now=NOW)


@pytest.fixture(scope="module")
def passphrase(dev_ca: signing.InitResult) -> str:
    return dev_ca.passphrase_file.read_text().strip()


@pytest.fixture(scope="module")
def roots(dev_ca: signing.InitResult) -> list[x509.Certificate]:
    return signing.load_trust_roots(dev_ca.ca_cert)


@pytest.fixture(scope="module")
def signer(dev_ca: signing.InitResult, passphrase: str) -> signers.SimpleSigner:
    return signing.load_signer(dev_ca.signer_p12, passphrase, now=NOW)


@pytest.fixture(scope="module")
def unsigned() -> bytes:
    return minimal_pdf(TEXT)


@pytest.fixture(scope="module")
def signed(unsigned: bytes, signer: signers.SimpleSigner) -> bytes:
    return signing.sign_pdf(unsigned, signer=signer, reason="riskreg assessment record", location="Dublin")


@pytest.fixture
def signing_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    """Settings read afresh from the environment, with an empty data folder and no signing settings."""
    for name in list(os.environ):
        if name.startswith("RISKREG_SIGNING_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("RISKREG_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def ca_key(result: signing.InitResult):
    return serialization.load_pem_private_key(result.ca_key.read_bytes(), password=None)


def ca_cert(result: signing.InitResult) -> x509.Certificate:
    return x509.load_pem_x509_certificates(result.ca_cert.read_bytes())[0]


def issue_p12(
    result: signing.InitResult,
    path: Path,
    *,
    not_before: datetime,
    not_after: datetime,
    password: bytes = b"pw",
    content_commitment: bool = True,
) -> Path:
    """A signing certificate issued by `result`'s CA with the given window, as a PKCS#12 file."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "edge case signer")]))
        .issuer_name(ca_cert(result).subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(signing._key_usage(digital_signature=True, content_commitment=content_commitment),
                       critical=True)
        .sign(ca_key(result), hashes.SHA256())
    )
    path.write_bytes(pkcs12.serialize_key_and_certificates(
        b"edge", key, cert, [ca_cert(result)], serialization.BestAvailableEncryption(password)))
    return path


def flip(data: bytes, position: int, mask: int = 0x01) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


# --- signing and verifying -----------------------------------------------------------------------


def test_a_signed_record_verifies(signed: bytes, unsigned: bytes, roots):
    verification = signing.verify_pdf(signed, trust_roots=roots)

    assert verification.ok, verification.problems
    assert verification.problems == []
    assert (verification.intact, verification.trusted, verification.covers_entire_file) == (True, True, True)
    assert verification.signer_subject == "CN=riskreg assessment records,O=riskreg (development)"
    assert len(verification.signer_fingerprint_sha256 or "") == 64
    # The signing time is the clock's when the (module-scoped) record was signed: after NOW, not in the future.
    assert verification.signed_at is not None
    assert NOW - timedelta(seconds=5) <= verification.signed_at <= datetime.now(UTC) + timedelta(seconds=5)
    assert verification.timestamped is False
    assert signed.startswith(unsigned), "an incremental signature leaves the original bytes untouched"


def test_the_signature_is_pades_with_reason_and_location(signed: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    assert embedded.field_name == "riskreg"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    assert embedded.sig_object["/Reason"] == "riskreg assessment record"
    assert embedded.sig_object["/Location"] == "Dublin"


def test_the_sha256_is_of_the_uploaded_bytes(signed: bytes, roots):
    import hashlib

    assert signing.verify_pdf(signed, trust_roots=roots).sha256 == hashlib.sha256(signed).hexdigest()
    assert signing.verify_pdf(b"x", trust_roots=roots).sha256 == hashlib.sha256(b"x").hexdigest()


def test_a_record_signed_under_another_ca_is_not_trusted(signed: bytes, tmp_path: Path):
    other = signing.init_local_ca(tmp_path / "other", now=NOW)

    verification = signing.verify_pdf(signed, trust_roots=signing.load_trust_roots(other.ca_cert))

    assert not verification.ok
    assert verification.intact and verification.covers_entire_file and not verification.trusted
    assert verification.problems == [
        "signed by a certificate we do not trust: it does not chain to a trusted root certificate"
    ]


def test_no_trust_roots_trusts_nothing(signed: bytes):
    verification = signing.verify_pdf(signed, trust_roots=[])
    assert not verification.trusted and not verification.ok


def test_one_flipped_byte_inside_the_signed_range_breaks_integrity(signed: bytes, roots):
    position = signed.index(TEXT.encode())  # the page's text, inside the first signed range

    verification = signing.verify_pdf(flip(signed, position), trust_roots=roots)

    assert not verification.ok and not verification.intact
    assert verification.trusted, "the signer is still known; the document is what changed"
    assert verification.problems == [
        "the document was modified after signing: the signed bytes no longer match the signature"
    ]


def test_an_altered_signature_value_fails(signed: bytes, roots):
    from pyhanko.pdf_utils.reader import PdfFileReader

    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    value = embedded.signer_info["signature"].native.hex().encode()
    position = signed.lower().index(value) + len(value) // 2  # a hex digit in the middle of the RSA signature
    altered = signed[:position] + (b"0" if signed[position : position + 1] != b"0" else b"1") + signed[position + 1 :]

    verification = signing.verify_pdf(altered, trust_roots=roots)

    assert not verification.ok and not verification.intact
    assert verification.problems == ["the signature value is invalid: the signature itself was altered"]


@pytest.mark.parametrize("tail", [b"\n%%EOF\n", b"junk", b"\n", b"\x00" * 64, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n"])
def test_bytes_appended_after_the_signature_fail(signed: bytes, roots, tail: bytes):
    verification = signing.verify_pdf(signed + tail, trust_roots=roots)

    assert not verification.ok
    assert not verification.covers_entire_file
    assert verification.intact and verification.trusted, "the signed part itself is fine"
    assert verification.problems[0].startswith("bytes were appended after the signature")
    assert f"({len(tail)} byte" in verification.problems[0]


def test_an_incremental_update_adding_an_object_fails(signed: bytes, roots):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    writer.root["/RiskregNote"] = writer.add_object(generic.TextStringObject("approved after all"))
    writer.update_root()
    out = BytesIO()
    writer.write(out)

    verification = signing.verify_pdf(out.getvalue(), trust_roots=roots)

    assert not verification.ok and not verification.covers_entire_file
    assert verification.problems[0].startswith("bytes were appended after the signature")
    assert "the document was modified after signing: 1 later revision change the document" in verification.problems[1]


def test_an_incremental_update_replacing_the_page_text_fails(signed: bytes, roots):
    writer = IncrementalPdfFileWriter(BytesIO(signed))
    page = writer.root["/Pages"]["/Kids"][0]
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=b"BT /F1 12 Tf 72 770 Td (APPROVED) Tj ET"))
    writer.update_container(page)
    out = BytesIO()
    writer.write(out)

    verification = signing.verify_pdf(out.getvalue(), trust_roots=roots)

    assert not verification.ok and not verification.covers_entire_file
    assert any(p.startswith("the document was modified after signing") for p in verification.problems)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the file is empty"),
        (b"not a pdf at all", "not a readable PDF"),
        (b"%PDF-1.7\n", "not a readable PDF"),
        (b"<html><body>%PDF-1.7</body></html>", "not a readable PDF"),
        (bytes(range(256)) * 40, "not a readable PDF"),
        (minimal_pdf("never signed"), "no signature"),
    ],
    ids=["empty", "text", "header-only", "html", "binary", "unsigned"],
)
def test_garbage_or_unsigned_input_is_reported_not_raised(data: bytes, problem: str, roots):
    verification = signing.verify_pdf(data, trust_roots=roots)

    assert not verification.ok
    assert not (verification.intact or verification.trusted or verification.covers_entire_file)
    assert verification.signer_subject is None and verification.signed_at is None
    assert len(verification.problems) == 1 and verification.problems[0].startswith(problem)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.999])
def test_a_truncated_record_is_reported_not_raised(signed: bytes, roots, fraction: float):
    verification = signing.verify_pdf(signed[: int(len(signed) * fraction)], trust_roots=roots)

    assert not verification.ok and verification.problems


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_flipped_byte_in_the_signed_ranges_fails(signed: bytes, roots, data: st.DataObject):
    from pyhanko.pdf_utils.reader import PdfFileReader

    (embedded,) = PdfFileReader(BytesIO(signed)).embedded_signatures
    start1, length1, start2, length2 = (int(n) for n in embedded.byte_range)
    position = data.draw(st.one_of(st.integers(start1, start1 + length1 - 1), st.integers(start2, start2 + length2 - 1)))
    mask = data.draw(st.integers(1, 255))

    assert not signing.verify_pdf(flip(signed, position, mask), trust_roots=roots).ok


@settings(max_examples=60, deadline=None)
@given(blob=st.binary(max_size=4096))
def test_verify_never_raises_on_arbitrary_bytes(blob: bytes):
    verification = signing.verify_pdf(b"%PDF-1.7\n" + blob, trust_roots=[])
    assert not verification.ok and verification.problems


def test_verify_refuses_to_run_inside_an_event_loop(signed: bytes, roots):
    """pyHanko would fail there, and the failure would read as a bad signature."""
    import asyncio

    async def inside() -> None:
        signing.verify_pdf(signed, trust_roots=roots)

    with pytest.raises(RuntimeError, match="worker thread"):
        asyncio.run(inside())


# --- refusing to sign ----------------------------------------------------------------------------


def test_pyhanko_alone_would_sign_with_an_expired_certificate(dev_ca, tmp_path: Path, unsigned: bytes, roots):
    """Why load_signer checks the validity window: pyHanko signs without complaint."""
    p12 = issue_p12(dev_ca, tmp_path / "expired.p12", not_before=NOW - timedelta(days=30),
                    not_after=NOW - timedelta(days=1))
    raw = signers.SimpleSigner.load_pkcs12_data(p12.read_bytes(), other_certs=[], passphrase=b"pw")

    signed = signing.sign_pdf(unsigned, signer=raw)

    verification = signing.verify_pdf(signed, trust_roots=roots)
    assert not verification.ok and not verification.trusted
    assert "its certificate expired on" in verification.problems[0]


def test_an_expired_certificate_is_refused_before_signing(dev_ca, tmp_path: Path, signing_env, unsigned: bytes):
    not_after = NOW - timedelta(days=1)
    p12 = issue_p12(dev_ca, tmp_path / "expired.p12", not_before=NOW - timedelta(days=30), not_after=not_after)
    signing_env.setenv("RISKREG_SIGNING_P12", str(p12))
    signing_env.setenv("RISKREG_SIGNING_PASSPHRASE", "pw")
    signing_env.setattr(signing, "sign_pdf", lambda *a, **k: pytest.fail("sign_pdf was called"))

    with pytest.raises(signing.SigningCertificateExpired) as refused:
        signing.sign_with_settings(unsigned, now=NOW)

    message = refused.value.detail
    assert "expired on " + not_after.strftime("%Y-%m-%dT%H:%M:%S") in message.replace("Z", "")
    assert "CN=edge case signer" in message and "renew" in message
    assert refused.value.status_code == 503


def test_a_certificate_not_yet_valid_is_refused_before_signing(dev_ca, tmp_path: Path):
    p12 = issue_p12(dev_ca, tmp_path / "future.p12", not_before=NOW + timedelta(days=2),
                    not_after=NOW + timedelta(days=30))

    with pytest.raises(signing.SigningCertificateNotYetValid, match="not valid until .*check the system clock"):
        signing.load_signer(p12, "pw", now=NOW)


@pytest.mark.parametrize(("offset", "error"), [
    (timedelta(days=366), signing.SigningCertificateExpired),
    (-timedelta(hours=1), signing.SigningCertificateNotYetValid),
])
def test_the_validity_window_is_checked_at_the_given_time(dev_ca, passphrase, offset, error):
    with pytest.raises(error):
        signing.load_signer(dev_ca.signer_p12, passphrase, now=NOW + offset)


def test_a_wrong_passphrase_is_refused_without_echoing_it(dev_ca):
    with pytest.raises(signing.SigningKeyRefused, match="passphrase in RISKREG_SIGNING_PASSPHRASE is wrong") as refused:
        signing.load_signer(dev_ca.signer_p12, SecretStr("hunter2-wrong-passphrase"), now=NOW)
    assert "hunter2" not in str(refused.value)


def test_a_missing_passphrase_says_which_setting(dev_ca):
    with pytest.raises(signing.SigningKeyRefused, match="RISKREG_SIGNING_PASSPHRASE is not set"):
        signing.load_signer(dev_ca.signer_p12, None, now=NOW)


def test_a_file_that_is_not_pkcs12_is_refused(tmp_path: Path):
    bogus = tmp_path / "bogus.p12"
    bogus.write_bytes(minimal_pdf("not a key"))
    with pytest.raises(signing.SigningKeyRefused, match="not a PKCS#12"):
        signing.load_signer(bogus, "pw", now=NOW)


def test_a_certificate_without_non_repudiation_is_refused(dev_ca, tmp_path: Path):
    p12 = issue_p12(dev_ca, tmp_path / "tls.p12", not_before=NOW - timedelta(days=1),
                    not_after=NOW + timedelta(days=30), content_commitment=False)
    with pytest.raises(signing.SigningKeyRefused, match="nonRepudiation"):
        signing.load_signer(p12, "pw", now=NOW)


def test_signing_errors_are_domain_errors():
    for error in (signing.SigningNotConfigured, signing.SigningKeyRefused, signing.SigningCertificateExpired,
                  signing.SigningCertificateNotYetValid, signing.SigningTimestampUnavailable):
        assert issubclass(error, DomainError)


# --- settings ------------------------------------------------------------------------------------


def test_signing_is_not_configured_by_default(signing_env, unsigned: bytes):
    settings_ = get_settings()
    assert settings_.signing_p12_path is None and settings_.signing_trust_roots_path is None
    assert settings_.signing_reason == "riskreg assessment record"

    with pytest.raises(signing.SigningNotConfigured, match="RISKREG_SIGNING_P12.*riskreg signing init"):
        signing.sign_with_settings(unsigned, now=NOW)
    with pytest.raises(signing.SigningNotConfigured, match="RISKREG_SIGNING_TRUST_ROOTS"):
        signing.verify_with_settings(unsigned)


def test_a_missing_p12_file_is_named(signing_env, tmp_path: Path):
    signing_env.setenv("RISKREG_SIGNING_P12", str(tmp_path / "nope.p12"))
    with pytest.raises(signing.SigningNotConfigured, match="nope.p12 does not exist"):
        signing.sign_with_settings(b"%PDF-", now=NOW)


def test_the_files_signing_init_writes_are_found_in_the_data_dir(signing_env, tmp_path: Path, unsigned: bytes):
    result = signing.init_local_ca(tmp_path / "data" / "signing", now=NOW)
    signing_env.setenv("RISKREG_SIGNING_PASSPHRASE", result.passphrase_file.read_text().strip())
    signing_env.setenv("RISKREG_SIGNING_LOCATION", "Cork")
    get_settings.cache_clear()
    assert get_settings().signing_p12_path == result.signer_p12
    assert get_settings().signing_trust_roots_path == result.ca_cert

    signed = signing.sign_with_settings(unsigned, now=NOW)

    verification = signing.verify_with_settings(signed)
    assert verification.ok, verification.problems
    assert b"/Location (Cork)" in signed


def test_the_passphrase_is_a_secret(signing_env):
    signing_env.setenv("RISKREG_SIGNING_PASSPHRASE", "very-secret-passphrase")
    get_settings.cache_clear()
    settings_ = get_settings()
    assert isinstance(settings_.signing_passphrase, SecretStr)
    assert "very-secret-passphrase" not in repr(settings_)
    assert "very-secret-passphrase" not in str(settings_.model_dump())


# --- timestamps (PAdES B-T) ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tsa_url(dev_ca: signing.InitResult) -> Iterator[str]:
    """An RFC 3161 timestamp authority on localhost, certified by the development CA for ten years."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)  # pyHanko's test TSA is RSA-only
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "riskreg test TSA")]))
        .issuer_name(ca_cert(dev_ca).subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=3650))
        .add_extension(signing._key_usage(digital_signature=True, content_commitment=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .sign(ca_key(dev_ca), hashes.SHA256())
    )
    der = serialization.Encoding.DER
    stamper = DummyTimeStamper(
        tsa_cert=asn1_x509.Certificate.load(cert.public_bytes(der)),
        tsa_key=asn1_keys.PrivateKeyInfo.load(key.private_bytes(
            der, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
        certs_to_embed=[asn1_x509.Certificate.load(ca_cert(dev_ca).public_bytes(der))],
    )

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            request = tsp.TimeStampReq.load(self.rfile.read(int(self.headers["Content-Length"])))
            body = stamper.request_tsa_response(request).dump()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_a_timestamped_signature_carries_a_trusted_time(unsigned, signer, roots, tsa_url):
    signed = signing.sign_pdf(unsigned, signer=signer, timestamp_url=tsa_url)

    verification = signing.verify_pdf(signed, trust_roots=roots)

    assert verification.ok, verification.problems
    assert verification.timestamped
    assert verification.signed_at is not None and abs(verification.signed_at - datetime.now(UTC)) < timedelta(minutes=1)


def test_after_the_certificate_expires_only_a_timestamped_record_stays_trusted(unsigned, signed, signer, roots, tsa_url):
    later = NOW + timedelta(days=400)  # the development signing certificate lasts 365 days
    stamped = signing.sign_pdf(unsigned, signer=signer, timestamp_url=tsa_url)

    assert signing.verify_pdf(stamped, trust_roots=roots, at=later).ok

    plain = signing.verify_pdf(signed, trust_roots=roots, at=later)
    assert not plain.ok and plain.intact and not plain.trusted
    assert plain.problems == [
        f"signed by a certificate we do not trust: its certificate expired on "
        f"{signing._iso(ca_and_signer_expiry(signed))} and no trusted timestamp proves the document was signed before"
    ]


def ca_and_signer_expiry(signed: bytes) -> datetime:
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(BytesIO(signed)).embedded_signatures[0].signer_cert.not_valid_after


def test_an_unreachable_timestamp_authority_refuses_to_sign(unsigned, signer):
    import socket

    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(signing.SigningTimestampUnavailable, match="did not answer.*nothing was signed"):
        signing.sign_pdf(unsigned, signer=signer, timestamp_url=f"http://127.0.0.1:{port}/")


# --- an independent verifier ---------------------------------------------------------------------


def pdfsig(path: Path, tmp_path: Path) -> str:
    if shutil.which("pdfsig") is None:
        unavailable("pdfsig", "poppler-utils' pdfsig is not installed (.ci/run installs it)")
    # -nocert: the development CA is not in an NSS database, so only the signature itself is checked.
    result = subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "HOME": str(tmp_path)}, check=False)
    return result.stdout + result.stderr


def test_pdfsig_accepts_the_signature(signed: bytes, tmp_path: Path):
    path = tmp_path / "record.pdf"
    path.write_bytes(signed)

    report = pdfsig(path, tmp_path)

    lines = {line.strip(" -").split(":", 1)[0]: line.split(":", 1)[1].strip() for line in report.splitlines()
             if line.strip().startswith("- ") and ":" in line}
    assert lines.get("Signature Validation") == "Signature is Valid.", report
    assert lines.get("Signature Type") == "ETSI.CAdES.detached", report
    assert lines.get("Signature Field Name") == "riskreg", report
    assert "Total document signed" in report


def test_pdfsig_also_rejects_a_flipped_byte(signed: bytes, tmp_path: Path):
    path = tmp_path / "tampered.pdf"
    path.write_bytes(flip(signed, signed.index(TEXT.encode())))

    report = pdfsig(path, tmp_path)

    assert "Signature Validation:" in report and "Signature is Valid." not in report, report


# --- the development CA --------------------------------------------------------------------------


def test_init_local_ca_writes_a_ca_and_a_document_signing_certificate(dev_ca: signing.InitResult, passphrase):
    mode = {path.name: stat.S_IMODE(path.stat().st_mode)
            for path in (dev_ca.ca_cert, dev_ca.ca_key, dev_ca.signer_p12, dev_ca.passphrase_file)}
    assert mode == {"ca.pem": 0o644, "ca-key.pem": 0o600, "signer.p12": 0o600, "passphrase.txt": 0o600}
    assert b"PRIVATE KEY" not in dev_ca.ca_cert.read_bytes()

    (ca,) = x509.load_pem_x509_certificates(dev_ca.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign

    key, cert, chain = pkcs12.load_key_and_certificates(dev_ca.signer_p12.read_bytes(), passphrase.encode())
    assert key is not None and cert is not None and [c.subject for c in chain] == [ca.subject]
    assert cert.issuer == ca.subject
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    purposes = set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    assert {ExtendedKeyUsageOID.EMAIL_PROTECTION, signing.DOCUMENT_SIGNING, signing.ADOBE_DOCUMENT_SIGNING} <= purposes
    assert cert.not_valid_after_utc == dev_ca.expires_at.replace(microsecond=0)
    assert signing.certificate_expiry(dev_ca.signer_p12, passphrase) == cert.not_valid_after_utc
    assert len(passphrase) >= 40


def test_init_local_ca_refuses_to_overwrite_unless_forced(tmp_path: Path, unsigned: bytes):
    first = signing.init_local_ca(tmp_path, now=NOW, days=30)
    old_record = signing.sign_pdf(
        unsigned, signer=signing.load_signer(first.signer_p12, first.passphrase_file.read_text().strip(), now=NOW))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    with pytest.raises(signing.SigningFilesExist, match="already holds ca.pem, ca-key.pem, signer.p12, passphrase.txt"):
        signing.init_local_ca(tmp_path, now=NOW)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before

    second = signing.init_local_ca(tmp_path, now=NOW, force=True)

    assert second.kept_earlier_roots == 1
    assert second.signer_p12.read_bytes() != before["signer.p12"]
    roots = signing.load_trust_roots(second.ca_cert)
    assert len(roots) == 2
    assert signing.verify_pdf(old_record, trust_roots=roots).ok, "records signed before the re-init still verify"
    new_signer = signing.load_signer(second.signer_p12, second.passphrase_file.read_text().strip(), now=NOW)
    assert signing.verify_pdf(signing.sign_pdf(unsigned, signer=new_signer), trust_roots=roots).ok


def test_trust_roots_must_be_pem_certificates(tmp_path: Path):
    bad = tmp_path / "roots.pem"
    bad.write_text("not a certificate")
    with pytest.raises(signing.SigningNotConfigured, match="holds no PEM certificates"):
        signing.load_trust_roots(bad)


# --- the command line ----------------------------------------------------------------------------

_SCRIPT = Path(sys.executable).with_name("riskreg")
COMMAND = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "app.cli"]


def riskreg(tmp_path: Path, *args: str, **settings_: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RISKREG_") and k not in ("DATABASE_URL", "DYNO")}
    env["RISKREG_DATA_DIR"] = str(tmp_path / "var")
    return subprocess.run([*COMMAND, *args], env=env | settings_, cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)


def test_cli_signing_init_writes_private_files_and_refuses_to_overwrite(tmp_path: Path):
    target = tmp_path / "keys"

    made = riskreg(tmp_path, "signing", "init", "--dir", str(target), "--days", "30")

    assert made.returncode == 0, made.stderr
    for name in ("ca-key.pem", "signer.p12", "passphrase.txt"):
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600, name
    assert f"RISKREG_SIGNING_P12={target / 'signer.p12'}" in made.stdout
    assert f'RISKREG_SIGNING_PASSPHRASE="$(cat {target / "passphrase.txt"})"' in made.stdout
    assert f"RISKREG_SIGNING_TRUST_ROOTS={target / 'ca.pem'}" in made.stdout
    passphrase = (target / "passphrase.txt").read_text().strip()
    assert passphrase not in made.stdout + made.stderr
    before = {p.name: p.read_bytes() for p in target.iterdir()}

    again = riskreg(tmp_path, "signing", "init", "--dir", str(target))

    assert again.returncode == 1 and "Traceback" not in again.stderr
    assert "already holds" in again.stderr and "--force" in again.stderr
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before

    forced = riskreg(tmp_path, "signing", "init", "--dir", str(target), "--force")
    assert forced.returncode == 0, forced.stderr
    assert (target / "signer.p12").read_bytes() != before["signer.p12"]


def test_cli_signing_show(tmp_path: Path):
    missing = riskreg(tmp_path, "signing", "show")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert "signing is not configured" in missing.stderr

    assert riskreg(tmp_path, "signing", "init").returncode == 0  # into RISKREG_DATA_DIR/signing
    passphrase = (tmp_path / "var" / "signing" / "passphrase.txt").read_text().strip()

    # In development the passphrase file `signing init` wrote beside the key is used; elsewhere it must be set.
    beside = riskreg(tmp_path, "signing", "show")
    assert beside.returncode == 0 and "days left" in beside.stdout, beside.stderr
    (tmp_path / "var" / "signing" / "passphrase.txt").unlink()
    no_passphrase = riskreg(tmp_path, "signing", "show")
    assert no_passphrase.returncode == 1 and "RISKREG_SIGNING_PASSPHRASE is not set" in no_passphrase.stderr

    shown = riskreg(tmp_path, "signing", "show", RISKREG_SIGNING_PASSPHRASE=passphrase)
    assert shown.returncode == 0, shown.stderr
    assert "CN=riskreg assessment records,O=riskreg (development)" in shown.stdout
    assert "CN=riskreg development CA" in shown.stdout
    assert "(364 days left)" in shown.stdout or "(365 days left)" in shown.stdout
    assert passphrase not in shown.stdout + shown.stderr


def test_cli_signing_init_refuses_in_production_without_force(tmp_path: Path):
    production = {"RISKREG_ENV": "production", "RISKREG_SECRET_KEY": "k" * 40,
                  "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}

    refused = riskreg(tmp_path, "signing", "init", **production)

    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert "development CA" in refused.stderr and "--force" in refused.stderr
    assert not (tmp_path / "var" / "signing").exists()
