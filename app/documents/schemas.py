"""Request and response shapes of the documents API (the upload is a multipart form)."""

import json
from datetime import date, datetime
from typing import Any

from fastapi import UploadFile
from pydantic import ConfigDict, Field, field_validator, model_validator

from app.core.deps import MAX_ID
from app.core.pagination import Page
from app.core.schemas import LongText, Name, RequestModel, ResponseModel
from app.documents.models import DocumentType, TransferMechanism
from app.documents.status import DocumentStatus
from app.vendors.schemas import Subprocessor

# Agreement dates outside this range are typing mistakes, not contracts.
EARLIEST = date(1970, 1, 1)
LATEST = date(2200, 12, 31)


def _in_range(value: date | None) -> date | None:
    if value is not None and not EARLIEST <= value <= LATEST:
        raise ValueError(f"must be between {EARLIEST} and {LATEST}")
    return value


def _decode_json_parts(value: Any) -> Any:
    """Form fields are text: sub-processors come as one JSON array, or as one JSON object per field."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        try:
            if len(value) == 1 and value[0].lstrip().startswith("["):
                return json.loads(value[0])
            return [json.loads(v) for v in value]
        except json.JSONDecodeError as error:
            raise ValueError(
                f"must be JSON: an array of {{name, purpose, country}} objects ({error.msg} at {error.pos})"
            ) from None
    return value


class DocumentTerms(RequestModel):
    """What an agreement or report says; the fields a new version repeats or changes."""

    title: Name
    signed_on: date | None = None
    effective_on: date | None = Field(default=None, description="In force from this day")
    expires_on: date | None = Field(default=None, description="In force through this day (inclusive)")
    auto_renews: bool = False
    renewal_months: int | None = Field(default=None, ge=1, le=120, description="Auto-renewing: length of each new term (default 12)")
    notice_days: int | None = Field(default=None, ge=0, le=730, description="Days of notice needed before a renewal")
    transfer_mechanism: TransferMechanism | None = Field(default=None, description="DPA: how transfers abroad are covered")
    breach_notice_hours: int | None = Field(default=None, ge=0, le=8760, description="DPA: promised breach notification time")
    subprocessors: list[Subprocessor] | None = Field(default=None, max_length=200, description="DPA: sub-processors it lists")
    integration_ids: list[int] = Field(
        default_factory=list, max_length=100, description="Integrations it covers; empty = the whole vendor"
    )
    notes: LongText | None = None

    _dates = field_validator("signed_on", "effective_on", "expires_on")(_in_range)
    _json = field_validator("subprocessors", mode="before")(_decode_json_parts)

    @field_validator("integration_ids")
    @classmethod
    def _ids(cls, ids: list[int]) -> list[int]:
        for value in ids:
            if not 1 <= value <= MAX_ID:
                raise ValueError(f"{value} is not an integration id")
        return sorted(set(ids))

    @model_validator(mode="after")
    def _consistent(self) -> "DocumentTerms":
        if self.effective_on and self.expires_on and self.expires_on < self.effective_on:
            raise ValueError("expires_on is before effective_on")
        if self.signed_on and self.expires_on and self.expires_on < self.signed_on:
            raise ValueError("expires_on is before signed_on")
        if self.auto_renews and self.expires_on is None:
            raise ValueError("an auto-renewing agreement needs expires_on (the end of its current term)")
        if not self.auto_renews and self.renewal_months is not None:
            raise ValueError("renewal_months applies only when auto_renews is true")
        return self


class DocumentUpload(DocumentTerms):
    """Multipart form: the file plus its terms. PDF, PNG or JPEG, recognised by their bytes."""

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    file: UploadFile = Field(description="The signed agreement or report (PDF, PNG or JPEG)")
    type: DocumentType
    supersedes_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The document this one replaces (same vendor and type)"
    )

    @model_validator(mode="after")
    def _dpa_only(self) -> "DocumentUpload":
        if self.type != DocumentType.dpa:
            given = [n for n in ("transfer_mechanism", "breach_notice_hours", "subprocessors") if getattr(self, n) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} can be given only for a DPA (type 'dpa')")
        return self


class SubprocessorChange(ResponseModel):
    name: str
    change: str  # added | removed | country_changed | purpose_changed
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class DocumentPublic(ResponseModel):
    id: int
    vendor_id: int
    type: DocumentType
    title: str
    file_name: str
    sha256: str
    size: int
    media_type: str
    signed_on: date | None
    effective_on: date | None
    expires_on: date | None
    auto_renews: bool
    renewal_months: int | None
    notice_days: int | None
    transfer_mechanism: TransferMechanism | None
    breach_notice_hours: int | None
    subprocessors: list[dict[str, Any]] | None
    integration_ids: list[int]
    notes: str | None
    supersedes_id: int | None
    superseded_by_id: int | None
    uploaded_by_id: int | None
    created_at: datetime
    # Computed on read for `status_on` (today unless asked otherwise)
    status: DocumentStatus
    status_on: date
    ends_on: date | None = Field(description="Last day of the current term; null when open-ended")
    notice_deadline_on: date | None = Field(description="Auto-renewing: last day to give notice before the next renewal")
    days_left: int | None
    deduplicated: bool = Field(default=False, description="Upload only: these bytes were already stored")


class DocumentDetail(DocumentPublic):
    subprocessor_changes: list[SubprocessorChange] | None = Field(
        description="DPA: how its sub-processors differ from the version it supersedes (null when there is none)"
    )


class DocumentPage(Page[DocumentPublic]):
    pass


class PolicyFactsPublic(ResponseModel):
    vendor_id: int
    on: date
    dpa_in_force: bool
    dpa_document_id: int | None
    baa_in_force: bool
    baa_document_id: int | None
    pci_aoc_in_date: bool
    pci_aoc_document_id: int | None
    transfer_mechanisms: dict[str, int] = Field(description="Mechanism on file → the document that provides it")
    transfer_countries: dict[str, bool] = Field(
        description="Each country the vendor's integrations send data to → whether a transfer to it is covered"
    )
