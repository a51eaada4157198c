"""ISO 3166-1 alpha-2 country codes, validated with a helpful message."""

from typing import Annotated

import pycountry
from pydantic import AfterValidator, WithJsonSchema

ALPHA2: frozenset[str] = frozenset(c.alpha_2 for c in pycountry.countries)
_COMMON_MISTAKES = {"UK": "GB", "EL": "GR", "EN": "GB"}


def country_name(code: str) -> str:
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country else code


def _suggest(value: str) -> str | None:
    if value.upper() in _COMMON_MISTAKES:
        return _COMMON_MISTAKES[value.upper()]
    try:
        return pycountry.countries.lookup(value).alpha_2
    except LookupError:
        return None


def validate_country(value: str) -> str:
    if value in ALPHA2:
        return value
    suggestion = _suggest(value.strip())
    hint = f"did you mean '{suggestion}' ({country_name(suggestion)})? " if suggestion else ""
    raise ValueError(
        f"'{value}' is not an ISO 3166-1 alpha-2 country code; {hint}"
        f"allowed values: {', '.join(sorted(ALPHA2))}"
    )


CountryCode = Annotated[
    str,
    AfterValidator(validate_country),
    WithJsonSchema(
        {"type": "string", "enum": sorted(ALPHA2), "description": "ISO 3166-1 alpha-2 code, upper case", "examples": ["DE"]}
    ),
]
