"""Files and uploads for the documents tests."""

from typing import Any

from fastapi.testclient import TestClient


def pdf_bytes(text: str = "Data processing agreement", *, pad: int = 0) -> bytes:
    """A small, well-formed one-page PDF whose bytes differ with `text` (and `pad` extra bytes)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    if pad:
        out += b"%" + b"p" * (pad - 2) + b"\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def pdf_of_size(size: int) -> bytes:
    """A well-formed PDF of exactly `size` bytes (at least about 600)."""
    base = len(pdf_bytes())
    for pad in range(size - base, size - base - 8, -1):
        content = pdf_bytes(pad=pad)
        if len(content) == size:
            return content
    raise ValueError(f"cannot make a PDF of {size} bytes")


def upload(
    client: TestClient, vendor_id: int, content: bytes | None = None, *, name: str = "dpa-signed.pdf",
    declared: str = "application/pdf", headers: dict[str, str] | None = None, **fields: Any,
) -> Any:
    """POSTs a document; `fields` are the form fields (lists and dicts sent as JSON where the API wants it)."""
    import json

    form: dict[str, Any] = {"type": "dpa", "title": "Data processing agreement"} | fields
    data: dict[str, Any] = {}
    for key, value in form.items():
        if key == "subprocessors" and not isinstance(value, str):
            value = json.dumps(value)
        data[key] = [str(v) for v in value] if isinstance(value, list) and key != "subprocessors" else (
            str(value).lower() if isinstance(value, bool) else str(value))
    files = {"file": (name, pdf_bytes() if content is None else content, declared)}
    return client.post(f"/api/v1/vendors/{vendor_id}/documents", data=data, files=files, headers=headers)
