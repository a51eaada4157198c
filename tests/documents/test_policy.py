"""Policy facts from documents and the GDPR / HIPAA / PCI gates built on them (pure)."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.documents.policy import ADEQUACY, EEA, DocumentFacts, document_gates, transfer_needs_mechanism, vendor_facts
from app.documents.status import Terms

TODAY = date(2026, 11, 29)


def doc(id: int, type: str, *, expires_on: date | None = date(2027, 12, 31), mechanism: str | None = None,
        superseded: bool = False, effective_on: date | None = None) -> DocumentFacts:
    return DocumentFacts(id=id, terms=Terms(type, expires_on=expires_on, superseded=superseded,
                                            effective_on=effective_on), transfer_mechanism=mechanism)


def facts(*docs: DocumentFacts, today: date = TODAY):
    return vendor_facts(docs, today=today, expiring_days=60)


def gates(f, categories, countries=()):
    return {g.id: g for g in document_gates(f, data_categories=categories, transfer_countries=countries)}


def test_no_documents_fail_every_gate_that_applies():
    result = gates(facts(), ["customer_personal", "phi", "cardholder"], ["US", "DE"])
    assert {k: g.satisfied for k, g in result.items()} == {
        "policy.gdpr.dpa": False, "policy.gdpr.transfer": False, "policy.hipaa.baa": False, "policy.pci.aoc": False,
    }
    assert "upload the BAA" in result["policy.hipaa.baa"].message
    assert "US" in result["policy.gdpr.transfer"].message and "DE" not in result["policy.gdpr.transfer"].message


def test_gates_apply_only_to_the_categories_that_need_them():
    assert gates(facts(), ["logs_telemetry"], ["US"]) == {}
    assert set(gates(facts(), ["phi"], [])) == {"policy.gdpr.dpa", "policy.hipaa.baa"}
    assert set(gates(facts(), ["business_contact"], ["DE", "GB"])) == {"policy.gdpr.dpa"}  # no transfer needs one


def test_documents_in_force_satisfy_the_gates_and_are_cited():
    f = facts(doc(1, "dpa", mechanism="scc"), doc(2, "baa"), doc(3, "pci_aoc"))
    result = gates(f, ["customer_personal", "phi", "cardholder"], ["US", "IN"])
    assert all(g.satisfied for g in result.values())
    assert "(document 2)" in result["policy.hipaa.baa"].message


@pytest.mark.parametrize(
    ("document", "in_force"),
    [
        (doc(1, "dpa"), True),
        (doc(1, "dpa", expires_on=date(2026, 11, 28)), False),  # expired yesterday
        (doc(1, "dpa", expires_on=TODAY), True),  # the last day counts
        (doc(1, "dpa", superseded=True), False),
        (doc(1, "dpa", effective_on=date(2026, 12, 1)), False),  # not yet effective
    ],
)
def test_a_dpa_counts_only_while_in_force(document, in_force):
    assert (facts(document).dpa is not None) is in_force


def test_the_answer_depends_on_the_day_asked_about():
    dpa = doc(1, "dpa", expires_on=date(2026, 6, 30))
    assert facts(dpa, today=date(2026, 6, 1)).dpa == 1
    assert facts(dpa, today=TODAY).dpa is None


@pytest.mark.parametrize(
    ("mechanism", "country", "covered"),
    [
        (None, "DE", True), (None, "GB", True), (None, "JP", True), (None, "US", False), (None, "IN", False),
        ("dpf", "US", True), ("dpf", "IN", False), ("scc", "IN", True), ("bcr", "US", True),
        ("adequacy", "US", False), ("none", "BR", False),
    ],
)
def test_transfer_coverage_by_country(mechanism, country, covered):
    f = facts(doc(1, "dpa", mechanism=mechanism)) if mechanism else facts()
    assert f.transfer_covered(country) is covered


def test_a_standalone_scc_document_provides_the_mechanism():
    assert facts(doc(5, "scc")).mechanisms == {"scc": 5}


def test_an_expired_scc_provides_nothing():
    assert facts(doc(5, "scc", expires_on=date(2025, 1, 1))).mechanisms == {}


def test_eea_and_adequacy_lists_are_disjoint_and_exclude_the_us():
    assert not EEA & ADEQUACY and "US" not in EEA | ADEQUACY and len(EEA) == 30


@given(st.sampled_from(sorted(EEA | ADEQUACY)))
def test_no_mechanism_is_needed_inside_the_eea_or_with_adequacy(country):
    assert not transfer_needs_mechanism(country)
    assert facts().transfer_covered(country)
