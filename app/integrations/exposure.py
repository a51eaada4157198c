"""Inherent exposure of an integration (scoring part 1): what crosses the boundary, before any answers.

Pure: standard library only, no I/O. The rules are versioned; a stored tier names the rules that made it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

RULES_VERSION = "scoring/1"


class Tier(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _TIER_ORDER.index(self)


_TIER_ORDER = (Tier.low, Tier.medium, Tier.high, Tier.critical)


class DataCategory(StrEnum):
    none = "none"
    business_contact = "business_contact"
    customer_personal = "customer_personal"
    special_category = "special_category"  # GDPR Art. 9
    phi = "phi"  # HIPAA protected health information
    cardholder = "cardholder"  # PCI DSS cardholder data
    credentials = "credentials"
    logs_telemetry = "logs_telemetry"
    financial = "financial"


class Access(StrEnum):
    none = "none"
    read = "read"
    write = "write"
    admin = "admin"


class Volume(StrEnum):
    lt_1k = "lt_1k"
    lt_100k = "lt_100k"
    lt_10m = "lt_10m"
    gte_10m = "gte_10m"


class Criticality(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


# Categories whose presence alone makes an integration at least high (DOMAIN.md).
SENSITIVE = frozenset(
    {DataCategory.phi, DataCategory.cardholder, DataCategory.special_category, DataCategory.credentials}
)
# Categories that identify people: GDPR applies and a DPA is needed.
PERSONAL = frozenset(
    {DataCategory.business_contact, DataCategory.customer_personal, DataCategory.special_category, DataCategory.phi,
     DataCategory.cardholder}
)

CATEGORY_TIER: dict[DataCategory, Tier] = {
    DataCategory.none: Tier.low,
    DataCategory.business_contact: Tier.low,
    DataCategory.logs_telemetry: Tier.medium,
    DataCategory.customer_personal: Tier.medium,
    DataCategory.financial: Tier.medium,
    DataCategory.special_category: Tier.high,
    DataCategory.phi: Tier.high,
    DataCategory.cardholder: Tier.high,
    DataCategory.credentials: Tier.high,
}
ACCESS_TIER: dict[Access, Tier] = {
    Access.none: Tier.low,
    Access.read: Tier.low,
    Access.write: Tier.medium,
    Access.admin: Tier.high,
}
VOLUME_TIER: dict[Volume, Tier] = {
    Volume.lt_1k: Tier.low,
    Volume.lt_100k: Tier.low,
    Volume.lt_10m: Tier.medium,
    Volume.gte_10m: Tier.high,
}
CRITICALITY_TIER: dict[Criticality, Tier] = {c: Tier(c.value) for c in Criticality}


@dataclass(frozen=True)
class ExposureInput:
    data_categories: frozenset[DataCategory]
    access: Access
    volume: Volume
    business_criticality: Criticality


@dataclass(frozen=True)
class Exposure:
    tier: Tier
    driver: str  # which driver set the tier, e.g. "data_categories:phi"
    reason: str
    rules: str = RULES_VERSION


def inherent_exposure(inp: ExposureInput) -> Exposure:
    """The inherent tier is the *maximum* over its drivers, never an average.

    Drivers, in the order that breaks ties (the first at the maximum is reported):
    1. sensitive data at scale: a sensitive category (PHI, cardholder, special category, credentials)
       with 10M+ records or admin access is `critical`;
    2. data categories: the most sensitive category crossing the boundary (sensitive ones are `high`);
    3. access we grant the vendor (`admin` is `high`);
    4. volume of our records it holds (`gte_10m` is `high`); it does not drive when no data crosses;
    5. business criticality, mapped one to one.
    An empty category set is treated as `none`.
    """
    categories = inp.data_categories or frozenset({DataCategory.none})
    sensitive = sorted(categories & SENSITIVE)
    candidates: list[tuple[Tier, str, str]] = []
    if sensitive and (inp.volume is Volume.gte_10m or inp.access is Access.admin):
        why = "10M+ records" if inp.volume is Volume.gte_10m else "admin access"
        names = ", ".join(c.value for c in sensitive)
        candidates.append((Tier.critical, f"sensitive_data_at_scale:{sensitive[0].value}",
                           f"sensitive data ({names}) with {why}"))
    top_category = max(sorted(categories), key=lambda c: CATEGORY_TIER[c].rank)
    candidates.append((CATEGORY_TIER[top_category], f"data_categories:{top_category.value}",
                       f"data category {top_category.value}"))
    candidates.append((ACCESS_TIER[inp.access], f"access:{inp.access.value}", f"{inp.access.value} access"))
    if categories != {DataCategory.none}:
        candidates.append((VOLUME_TIER[inp.volume], f"volume:{inp.volume.value}", f"volume {inp.volume.value}"))
    candidates.append((CRITICALITY_TIER[inp.business_criticality],
                       f"business_criticality:{inp.business_criticality.value}",
                       f"business criticality {inp.business_criticality.value}"))
    tier, driver, reason = max(candidates, key=lambda c: c[0].rank)  # max keeps the first of equals
    return Exposure(tier=tier, driver=driver, reason=reason)


def parse_categories(values: Iterable[str]) -> frozenset[DataCategory]:
    return frozenset(DataCategory(v) for v in values)
