"""Field types and base models shared by every domain's request and response schemas."""

import re
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints

# C0 control characters other than tab, newline and carriage return; PostgreSQL refuses NUL outright.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Refuse text no database or PDF can hold faithfully: control characters and lone surrogates,
    and text with nothing visible in it (only spaces or zero-width characters)."""
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (such as NUL); send plain text")
    if _SURROGATE.search(value):
        raise ValueError("is not valid Unicode text (it has an unpaired surrogate)")
    if value and not any(unicodedata.category(ch)[0] not in "ZC" for ch in value):
        raise ValueError("has no visible characters")
    return value


def text(max_length: int, min_length: int = 1) -> object:
    """A stripped, length-bounded, clean string type."""
    return Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length),
        AfterValidator(clean_text),
    ]


def unique(values: list[str]) -> list[str]:
    """The list without repeats, first occurrence kept (for set-like list fields)."""
    return list(dict.fromkeys(values))


Name = text(200)
Label = text(100)
ShortText = text(500)
MediumText = text(2000)
LongText = text(4000)


class RequestModel(BaseModel):
    """Client input: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)
