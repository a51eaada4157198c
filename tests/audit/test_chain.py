"""The audit chain's pure rules: canonical form, verify, diff, storable. No database."""

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.audit import chain

T0 = datetime(2026, 11, 29, 12, 0, 0, 123456, tzinfo=UTC)


def event_facts(seq: int, **overrides: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "at": T0 + timedelta(seconds=seq, microseconds=seq),
        "actor_type": "user",
        "actor_id": seq % 3 + 1,
        "actor": f"user{seq % 3 + 1}@riskreg.test",
        "action": "vendor.updated",
        "subject_type": "vendor",
        "subject_id": str(seq % 7),
        "changes": {"name": {"before": f"Vendor {seq}", "after": f"Vendor {seq} Ltd"}},
    } | overrides


def build_chain(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Links events the way service.record() does: prev_hash, then hash over the facts."""
    prev, events = chain.GENESIS, []
    for item in facts:
        event = dict(item, prev_hash=prev)
        event["hash"] = chain.chain_hash(prev, event)
        prev = event["hash"]
        events.append(event)
    return events


def make_chain(n: int) -> list[dict[str, Any]]:
    return build_chain([event_facts(seq) for seq in range(1, n + 1)])


def reordered(value: Any) -> Any:
    """The same JSON value with every dict's keys inserted in reverse order."""
    if isinstance(value, Mapping):
        return {key: reordered(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reordered(item) for item in value]
    return value


# ---- canonical ----------------------------------------------------------------------------------


def test_canonical_is_compact_sorted_json_of_the_facts_only() -> None:
    event = make_chain(1)[0]
    body = json.loads(chain.canonical(event))
    assert list(body) == sorted(body)
    assert set(body) == {"seq", "at", "actor_type", "actor_id", "actor", "action", "subject_type", "subject_id",
                         "changes"}
    assert b" " not in chain.canonical(event_facts(1, changes={}))
    assert body["at"] == "2026-11-29T12:00:01.123457Z"


def test_canonical_ignores_the_hashes_and_extra_keys() -> None:
    event = make_chain(1)[0]
    assert chain.canonical(event) == chain.canonical(event | {"hash": "x", "prev_hash": "y", "id": 99})


@pytest.mark.parametrize(
    "at",
    [
        datetime(2026, 11, 29, 13, 0, 0, 500, tzinfo=timezone(timedelta(hours=1))),
        datetime(2026, 11, 29, 7, 0, 0, 500, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 11, 29, 12, 0, 0, 500, tzinfo=UTC),
    ],
)
def test_canonical_time_is_utc_to_the_microsecond_whatever_the_offset(at: datetime) -> None:
    assert json.loads(chain.canonical(event_facts(1, at=at)))["at"] == "2026-11-29T12:00:00.000500Z"


def test_canonical_differs_by_one_microsecond() -> None:
    a = event_facts(1)
    b = event_facts(1, at=a["at"] + timedelta(microseconds=1))
    assert chain.canonical(a) != chain.canonical(b)


@pytest.mark.parametrize(
    ("field", "value"),
    [("seq", 2), ("actor_type", "system"), ("actor_id", None), ("actor", "eve@riskreg.test"),
     ("action", "vendor.created"), ("subject_type", "integration"), ("subject_id", "8"),
     ("changes", {"name": {"before": "Vendor 1", "after": "Vendor 1 GmbH"}})],
)
def test_every_fact_takes_part_in_the_hash(field: str, value: Any) -> None:
    event = event_facts(1)
    assert chain.chain_hash(chain.GENESIS, event) != chain.chain_hash(chain.GENESIS, event | {field: value})


def test_chain_hash_is_sha256_of_previous_hash_then_canonical() -> None:
    import hashlib

    event = event_facts(1)
    expected = hashlib.sha256(chain.GENESIS.encode() + chain.canonical(event)).hexdigest()
    assert chain.chain_hash(chain.GENESIS, event) == expected
    assert chain.chain_hash("f" * 64, event) != expected


json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
changes_strategy = st.dictionaries(st.text(max_size=12), json_values, max_size=6)


@settings(max_examples=200, deadline=None)
@given(changes=changes_strategy, seq=st.integers(min_value=1, max_value=10**9), subject=st.text(max_size=30))
def test_canonical_is_deterministic_and_key_order_independent(changes: dict[str, Any], seq: int, subject: str) -> None:
    event = event_facts(seq, changes=changes, subject_id=subject)
    first = chain.canonical(event)
    assert chain.canonical(dict(event)) == first
    assert chain.canonical(reordered(event) | {"at": event["at"]}) == first
    assert chain.canonical(json.loads(json.dumps(event, default=str)) | {"at": event["at"]}) == first
    assert json.loads(first)["changes"] == changes


# ---- verify --------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 10, 500])
def test_verify_accepts_a_valid_chain(n: int) -> None:
    events = make_chain(n)
    verdict = chain.verify(events)
    assert verdict.ok, verdict
    assert verdict.checked == n
    assert verdict.first_bad_seq is None and verdict.problem is None
    assert verdict.head_seq == (n or None)
    assert verdict.head_hash == (events[-1]["hash"] if events else None)


def test_verify_accepts_a_generator() -> None:
    assert chain.verify(iter(make_chain(5))).checked == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("actor", "mallory@riskreg.test"),
        ("actor_id", 99),
        ("actor_type", "system"),
        ("action", "vendor.created"),
        ("subject_type", "integration"),
        ("subject_id", "999"),
        ("changes", {"name": {"before": "Vendor 4", "after": "Vendor 4 (approved)"}}),
        ("changes", {}),
        ("at", T0 + timedelta(days=-1)),
        ("at", T0 + timedelta(seconds=4, microseconds=5)),  # one microsecond off
        ("hash", "0" * 64),
    ],
)
def test_verify_names_an_edited_event(field: str, value: Any) -> None:
    events = make_chain(8)
    events[3] = events[3] | {field: value}  # seq 4
    verdict = chain.verify(events)
    assert not verdict.ok
    assert verdict.first_bad_seq == 4
    assert verdict.checked == 3
    assert "4" in (verdict.problem or "")


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events = make_chain(8)
    forged = events[3] | {"actor": "mallory@riskreg.test"}
    forged["hash"] = chain.chain_hash(forged["prev_hash"], forged)
    events[3] = forged
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 5)
    assert "link" in (verdict.problem or "")


def test_an_edited_last_event_is_found() -> None:
    events = make_chain(8)
    events[-1] = events[-1] | {"subject_id": "x"}
    assert chain.verify(events).first_bad_seq == 8


@pytest.mark.parametrize("deleted_seq", [1, 2, 5, 8])
def test_verify_names_the_first_missing_seq(deleted_seq: int) -> None:
    events = [e for e in make_chain(8) if e["seq"] != deleted_seq]
    verdict = chain.verify(events)
    if deleted_seq == 8:  # the head was cut off: nothing links to it, the chain is shorter
        assert verdict.ok and verdict.head_seq == 7
        return
    assert not verdict.ok
    assert verdict.first_bad_seq == deleted_seq
    assert "missing" in (verdict.problem or "")


def test_deleted_event_renumbered_to_close_the_gap_is_found() -> None:
    events = make_chain(8)
    del events[4]  # seq 5
    for event in events[4:]:
        event["seq"] -= 1
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 5)


def test_verify_names_a_reordered_pair_given_out_of_order() -> None:
    events = make_chain(8)
    events[4], events[5] = events[5], events[4]  # seq 1..4, 6, 5, 7, 8
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 5)


def test_verify_names_a_reordered_pair_with_swapped_seq_numbers() -> None:
    """Swapping two events' positions in the table (their seq numbers exchanged) breaks the link."""
    events = make_chain(8)
    a, b = events[4], events[5]
    events[4], events[5] = b | {"seq": 5}, a | {"seq": 6}
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 5)


@pytest.mark.parametrize("genesis", ["f" * 64, "", "0" * 63])
def test_verify_refuses_a_wrong_genesis(genesis: str) -> None:
    facts = [event_facts(seq) for seq in range(1, 4)]
    prev, events = genesis, []
    for item in facts:
        event = dict(item, prev_hash=prev)
        event["hash"] = chain.chain_hash(prev, event)
        prev = event["hash"]
        events.append(event)
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)


def test_verify_refuses_a_chain_not_starting_at_one() -> None:
    events = build_chain([event_facts(seq) for seq in range(2, 5)])
    verdict = chain.verify(events)
    assert (verdict.ok, verdict.first_bad_seq) == (False, 1)


@settings(max_examples=100, deadline=None)
@given(
    n=st.integers(min_value=1, max_value=40),
    data=st.data(),
)
def test_any_single_tampering_is_found_at_its_seq(n: int, data: st.DataObject) -> None:
    events = make_chain(n)
    assert chain.verify(events).ok
    index = data.draw(st.integers(min_value=0, max_value=n - 1), label="index")
    kind = data.draw(st.sampled_from(["edit", "delete", "swap"]), label="kind")
    seq = index + 1
    if kind == "edit":
        events[index] = events[index] | {"changes": data.draw(changes_strategy.filter(
            lambda c: c != events[index]["changes"]))}
        assert chain.verify(events).first_bad_seq == seq
    elif kind == "delete":
        del events[index]
        verdict = chain.verify(events)
        if seq == n:
            assert verdict.ok and verdict.checked == n - 1
        else:
            assert verdict.first_bad_seq == seq
    elif index + 1 < n:
        events[index], events[index + 1] = events[index + 1], events[index]
        assert chain.verify(events).first_bad_seq == seq


def test_verdict_is_a_plain_record() -> None:
    fields = {f.name for f in dataclasses.fields(chain.Verdict)}
    assert fields == {"ok", "checked", "first_bad_seq", "problem", "head_seq", "head_hash"}


# ---- diff ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {}, {}),
        ({"a": 1}, {"a": 1}, {}),
        ({"a": 1, "b": 2}, {"a": 1, "b": 3}, {"b": {"before": 2, "after": 3}}),
        ({"a": 1}, {}, {"a": {"before": 1, "after": None}}),
        ({}, {"a": 1}, {"a": {"before": None, "after": 1}}),
        ({"a": None}, {}, {}),  # absent reads as None
        ({"l": ["IE", "DE"]}, {"l": ["DE", "IE"]}, {"l": {"before": ["IE", "DE"], "after": ["DE", "IE"]}}),
        ({"d": {"x": 1}}, {"d": {"x": 1}}, {}),
        ({"n": "Ä"}, {"n": "A"}, {"n": {"before": "Ä", "after": "A"}}),
    ],
)
def test_diff_returns_only_changed_keys(before: dict[str, Any], after: dict[str, Any],
                                       expected: dict[str, Any]) -> None:
    assert chain.diff(before, after) == expected


@settings(max_examples=200, deadline=None)
@given(before=changes_strategy, after=changes_strategy)
def test_diff_property(before: dict[str, Any], after: dict[str, Any]) -> None:
    changes = chain.diff(before, after)
    assert list(changes) == sorted(changes)
    for key in set(before) | set(after):
        if before.get(key) == after.get(key):
            assert key not in changes
        else:
            assert changes[key] == {"before": before.get(key), "after": after.get(key)}
    assert chain.diff(after, after) == {}


# ---- storable: what is hashed is what the database gives back -----------------------------------


def jsonb_round_trip(value: Any) -> Any:
    """What PostgreSQL's JSONB returns for `value`: numbers become `numeric` and come back as its text.

    (tests/audit/test_service.py checks the real thing on PostgreSQL.)
    """

    def numeric(text: str) -> Any:
        number = Decimal(text)
        return json.loads(format(abs(number) if number.is_zero() else number, "f"))  # no -0 in numeric

    return json.loads(json.dumps(value), parse_float=numeric)


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        (1e16, 10**16),
        (1.2345e20, 123450000000000000000),
        (-1e300, -(10**300)),
        (1.7976931348623157e308, int(Decimal("1.7976931348623157e308"))),
        (-0.0, 0.0),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
        (1.5, 1.5),
        (1e-7, 1e-7),
        (5e-324, 5e-324),
        (9007199254740993, 9007199254740993),
        (True, True),
        ("1e16", "1e16"),
        (None, None),
    ],
)
def test_storable_numbers(value: Any, stored: Any) -> None:
    result = chain.storable({"v": [value]})["v"][0]
    assert type(result) is type(stored)
    assert result == stored
    if isinstance(result, float):
        assert math.copysign(1, result) == 1 or result != 0
    if not isinstance(result, str):
        assert jsonb_round_trip(result) == result


@settings(max_examples=300, deadline=None)
@given(value=changes_strategy | st.dictionaries(st.text(max_size=4), st.floats(), max_size=4))
def test_storable_values_survive_jsonb_and_json_text(value: dict[str, Any]) -> None:
    stored = chain.storable(value)
    facts = event_facts(1, changes=stored)
    canonical = chain.canonical(facts)
    assert chain.canonical(facts | {"changes": jsonb_round_trip(stored)}) == canonical  # PostgreSQL
    assert chain.canonical(facts | {"changes": json.loads(json.dumps(stored))}) == canonical  # SQLite
    assert chain.storable(stored) == stored


def reference_canonical(event: Mapping[str, Any]) -> bytes:
    """canonical() as first written: chain hashes recorded before its speed-up must still verify."""
    at = event["at"].astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    keys = ("seq", "actor_type", "actor_id", "actor", "action", "subject_type", "subject_id", "changes")
    body = {"at": at} | {key: event[key] for key in keys}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


@settings(max_examples=300, deadline=None)
@given(
    at=st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)),
                                               timezone(timedelta(hours=5, minutes=45))]),
                    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)),
    changes=changes_strategy,
    actor=st.text(max_size=20),
)
def test_canonical_bytes_are_those_of_the_first_version(at: datetime, changes: dict[str, Any], actor: str) -> None:
    event = event_facts(1, at=at, changes=changes, actor=actor)
    assert chain.canonical(event) == reference_canonical(event)
