"""Request and response shapes of the vendor API."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AnyUrl, ConfigDict, EmailStr, Field, UrlConstraints, field_validator

from app.core.countries import CountryCode
from app.core.pagination import Page
from app.core.schemas import Label, MediumText, Name, RequestModel, ResponseModel, ShortText, unique
from app.vendors.models import VendorStatus

# A PATCH may move a vendor between these; offboarding has its own action and is final.
EditableStatus = Literal["prospective", "active"]
def _stored_length(url: AnyUrl) -> AnyUrl:
    # International hosts and escapes make the normalised URL longer than what was typed.
    if len(str(url)) > 500:
        raise ValueError("is longer than 500 characters once normalised (international names are punycode-encoded)")
    return url


Website = Annotated[
    AnyUrl,
    UrlConstraints(max_length=500, allowed_schemes=["http", "https"], host_required=True),
    AfterValidator(_stored_length),
    Field(examples=["https://www.example.com/"]),
]


class Subprocessor(RequestModel):
    name: Name
    purpose: ShortText
    country: CountryCode


class Contact(RequestModel):
    name: Name
    email: EmailStr
    role: Label | None = None


_EXAMPLE = {
    "legal_name": "Papertrail Inc.",
    "name": "Papertrail",
    "website": "https://www.papertrail.com/",
    "country": "US",
    "data_locations": ["US"],
    "subprocessors": [{"name": "Amazon Web Services", "purpose": "Hosting", "country": "US"}],
    "contacts": [{"name": "Security team", "email": "security@example.com", "role": "security"}],
}


class VendorCreate(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    legal_name: Name
    name: Name
    website: Website | None = None
    country: CountryCode = Field(description="Headquarters, ISO 3166-1 alpha-2")
    data_locations: list[CountryCode] = Field(default_factory=list, max_length=250)
    subprocessors: list[Subprocessor] = Field(default_factory=list, max_length=200)
    contacts: list[Contact] = Field(default_factory=list, max_length=50)
    status: EditableStatus = "prospective"

    _dedupe = field_validator("data_locations")(unique)


class VendorUpdate(RequestModel):
    """Only the fields sent are changed. Non-nullable fields refuse an explicit null."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Papertrail by SolarWinds"}]})

    legal_name: Name = None  # type: ignore[assignment]
    name: Name = None  # type: ignore[assignment]
    website: Website | None = None
    country: CountryCode = None  # type: ignore[assignment]
    data_locations: list[CountryCode] = Field(default=None, max_length=250)  # type: ignore[assignment]
    subprocessors: list[Subprocessor] = Field(default=None, max_length=200)  # type: ignore[assignment]
    contacts: list[Contact] = Field(default=None, max_length=50)  # type: ignore[assignment]
    status: EditableStatus = None  # type: ignore[assignment]

    _dedupe = field_validator("data_locations")(unique)


class OffboardRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Contract ended; data deleted per DPA"}]})

    reason: MediumText


class SubprocessorPublic(ResponseModel):
    name: str
    purpose: str
    country: str


class ContactPublic(ResponseModel):
    name: str
    email: str
    role: str | None = None


class VendorPublic(ResponseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    **_EXAMPLE,
                    "id": 1,
                    "status": "active",
                    "offboarded_at": None,
                    "offboard_reason": None,
                    "created_at": "2026-11-01T09:30:00Z",
                    "updated_at": "2026-11-02T14:00:00Z",
                    "version": 2,
                }
            ]
        }
    )

    id: int
    legal_name: str
    name: str
    website: str | None
    country: str
    data_locations: list[str]
    subprocessors: list[SubprocessorPublic]
    contacts: list[ContactPublic]
    status: VendorStatus
    offboarded_at: datetime | None
    offboard_reason: str | None
    created_at: datetime
    updated_at: datetime
    version: int


class VendorPage(Page[VendorPublic]):
    pass
