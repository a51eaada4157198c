"""Files and uploads for the documents tests."""

from typing import Any

from fastapi.testclient import TestClient

from app.demo.pdf import minimal_pdf


def pdf_bytes(text: str = "Data processing agreement", *, pad: int = 0) -> bytes:
    """A small, well-formed one-page PDF whose bytes differ with `text` (and `pad` extra bytes)."""
    return minimal_pdf(text, pad=pad)


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
