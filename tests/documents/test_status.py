"""Document status on a given day: table-driven cases and properties."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.documents.status import DocumentStatus, Terms, add_months, standing

TODAY = date(2026, 11, 29)
S = DocumentStatus


@pytest.mark.parametrize(
    ("terms", "status", "ends_on", "notice_deadline_on"),
    [
        (Terms("dpa"), S.in_force, None, None),  # open-ended
        (Terms("dpa", expires_on=date(2027, 12, 31)), S.in_force, date(2027, 12, 31), None),
        (Terms("dpa", expires_on=date(2027, 1, 29)), S.in_force, date(2027, 1, 29), None),  # 61 days away
        (Terms("dpa", expires_on=date(2027, 1, 28)), S.expiring, date(2027, 1, 28), None),  # 60: within the window
        (Terms("dpa", expires_on=TODAY), S.expiring, TODAY, None),  # last day is still in force
        (Terms("dpa", expires_on=date(2026, 11, 28)), S.expired, date(2026, 11, 28), None),
        (Terms("dpa", effective_on=date(2026, 12, 1)), S.pending, None, None),
        (Terms("dpa", expires_on=date(2020, 1, 1), superseded=True), S.superseded, date(2020, 1, 1), None),
        # Reports without an expiry are current for 12 months from their date.
        (Terms("soc2_type2", effective_on=date(2026, 1, 31)), S.in_force, date(2027, 1, 31), None),
        (Terms("pci_aoc", signed_on=date(2025, 11, 28)), S.expired, date(2026, 11, 28), None),
        # Auto-renewing: never lapses; expiring when the next notice deadline is within the window.
        (Terms("msa", expires_on=date(2027, 6, 30), auto_renews=True, notice_days=90), S.in_force,
         date(2027, 6, 30), date(2027, 4, 1)),
        (Terms("msa", expires_on=date(2027, 2, 28), auto_renews=True, notice_days=90), S.expiring,
         date(2027, 2, 28), date(2026, 11, 30)),
        # Expiry passed, renewed by a year; this year's deadline passed too, so the next one counts.
        (Terms("msa", expires_on=date(2026, 12, 15), auto_renews=True, notice_days=30), S.in_force,
         date(2026, 12, 15), date(2027, 11, 15)),
        (Terms("msa", expires_on=date(2025, 3, 31), auto_renews=True, renewal_months=12, notice_days=0), S.in_force,
         date(2027, 3, 31), date(2027, 3, 31)),
    ],
)
def test_status_on_a_day(terms, status, ends_on, notice_deadline_on):
    result = standing(terms, today=TODAY, expiring_days=60)
    assert (result.status, result.ends_on, result.notice_deadline_on) == (status, ends_on, notice_deadline_on)


def test_add_months_clamps_to_the_end_of_a_shorter_month():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 11, 30), 14) == date(2028, 1, 30)


days = st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31))


@given(expires=days, today=days, window=st.integers(1, 365))
def test_a_fixed_term_document_moves_one_way_in_force_expiring_expired(expires, today, window):
    order = [S.in_force, S.expiring, S.expired]
    now = standing(Terms("dpa", expires_on=expires), today=today, expiring_days=window).status
    later = standing(Terms("dpa", expires_on=expires), today=today + timedelta(days=30), expiring_days=window).status
    assert order.index(later) >= order.index(now)


@given(expires=days, today=days, months=st.integers(1, 36), notice=st.integers(0, 400))
def test_an_auto_renewing_contract_never_expires_and_its_deadline_is_ahead(expires, today, months, notice):
    result = standing(Terms("msa", expires_on=expires, auto_renews=True, renewal_months=months, notice_days=notice),
                      today=today, expiring_days=60)
    assert result.status in (S.in_force, S.expiring)
    assert result.notice_deadline_on is not None and result.notice_deadline_on >= today
    assert result.ends_on is not None and result.ends_on >= today


@given(expires=days, today=days, months=st.integers(1, 36), notice=st.integers(0, 400))
def test_renewal_arithmetic_matches_counting_term_by_term(expires, today, months, notice):
    step = 0
    while add_months(expires, months * step) - timedelta(days=notice) < today:
        step += 1
    current = 0
    while add_months(expires, months * current) < today:
        current += 1
    result = standing(Terms("msa", expires_on=expires, auto_renews=True, renewal_months=months, notice_days=notice),
                      today=today, expiring_days=60)
    assert result.notice_deadline_on == add_months(expires, months * step) - timedelta(days=notice)
    assert result.ends_on == add_months(expires, months * current)
