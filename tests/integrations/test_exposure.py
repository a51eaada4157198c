"""Inherent exposure: the maximum of its drivers, with the floor DOMAIN.md sets for sensitive data."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.integrations.exposure import (
    SENSITIVE,
    Access,
    Criticality,
    DataCategory,
    ExposureInput,
    Tier,
    Volume,
    inherent_exposure,
)


def exposure(categories=("none",), access="none", volume="lt_1k", criticality="low"):
    return inherent_exposure(
        ExposureInput(
            data_categories=frozenset(DataCategory(c) for c in categories),
            access=Access(access),
            volume=Volume(volume),
            business_criticality=Criticality(criticality),
        )
    )


@pytest.mark.parametrize(
    ("categories", "access", "volume", "criticality", "tier", "driver"),
    [
        (("none",), "none", "lt_1k", "low", "low", "data_categories:none"),
        (("business_contact",), "read", "lt_100k", "low", "low", "data_categories:business_contact"),
        (("customer_personal",), "read", "lt_1k", "low", "medium", "data_categories:customer_personal"),
        (("logs_telemetry",), "none", "lt_1k", "low", "medium", "data_categories:logs_telemetry"),
        (("phi",), "read", "lt_1k", "low", "high", "data_categories:phi"),
        (("cardholder",), "none", "lt_1k", "low", "high", "data_categories:cardholder"),
        (("special_category",), "read", "lt_1k", "low", "high", "data_categories:special_category"),
        (("credentials",), "read", "lt_1k", "low", "high", "data_categories:credentials"),
        (("phi",), "read", "gte_10m", "low", "critical", "sensitive_data_at_scale:phi"),
        (("cardholder", "phi"), "admin", "lt_1k", "low", "critical", "sensitive_data_at_scale:cardholder"),
        (("business_contact",), "admin", "lt_1k", "low", "high", "access:admin"),
        (("business_contact",), "write", "lt_1k", "low", "medium", "access:write"),
        (("customer_personal",), "read", "gte_10m", "low", "high", "volume:gte_10m"),
        (("business_contact",), "read", "lt_10m", "low", "medium", "volume:lt_10m"),
        # no data crosses: volume does not drive
        (("none",), "none", "gte_10m", "low", "low", "data_categories:none"),
        (("none",), "none", "lt_1k", "critical", "critical", "business_criticality:critical"),
        (("customer_personal",), "read", "lt_1k", "high", "high", "business_criticality:high"),
        # ties: the first driver in the documented order is reported
        (("customer_personal",), "write", "lt_10m", "medium", "medium", "data_categories:customer_personal"),
    ],
)
def test_tier_and_driver(categories, access, volume, criticality, tier, driver):
    result = exposure(categories, access, volume, criticality)
    assert (result.tier, result.driver) == (Tier(tier), driver)
    assert result.rules == "scoring/1"


def test_empty_category_set_counts_as_none():
    assert exposure(categories=()) == exposure(categories=("none",))


inputs = st.builds(
    ExposureInput,
    data_categories=st.frozensets(st.sampled_from(list(DataCategory))),
    access=st.sampled_from(list(Access)),
    volume=st.sampled_from(list(Volume)),
    business_criticality=st.sampled_from(list(Criticality)),
)


@given(inputs)
def test_any_sensitive_category_is_at_least_high(inp):
    if inp.data_categories & SENSITIVE:
        assert inherent_exposure(inp).tier.rank >= Tier.high.rank


@given(inputs, st.sampled_from(list(DataCategory)))
def test_adding_a_category_never_lowers_the_tier(inp, extra):
    wider = ExposureInput(inp.data_categories | {extra}, inp.access, inp.volume, inp.business_criticality)
    assert inherent_exposure(wider).tier.rank >= inherent_exposure(inp).tier.rank


@given(inputs, st.sampled_from(list(Access)), st.sampled_from(list(Volume)), st.sampled_from(list(Criticality)))
def test_raising_any_driver_never_lowers_the_tier(inp, access, volume, criticality):
    order = {Access: list(Access), Volume: list(Volume), Criticality: list(Criticality)}
    higher = ExposureInput(
        inp.data_categories,
        max(inp.access, access, key=order[Access].index),
        max(inp.volume, volume, key=order[Volume].index),
        max(inp.business_criticality, criticality, key=order[Criticality].index),
    )
    assert inherent_exposure(higher).tier.rank >= inherent_exposure(inp).tier.rank


@given(inputs)
def test_the_tier_is_the_maximum_not_an_average(inp):
    result = inherent_exposure(inp)
    assert result.tier.rank >= Tier(inp.business_criticality.value).rank
    assert result == inherent_exposure(inp)  # deterministic
