"""The pure schedule: which items fall due, in which lead-time slot on a given day, and their stable keys."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.documents.status import Terms
from app.reminders import schedule
from app.reminders.schedule import (
    AssessmentFact,
    CertificateFact,
    Directory,
    DocumentFact,
    DriftFact,
    Kind,
    Person,
    Register,
    RequestFact,
    Rules,
    ShadowFact,
    slot,
)

TODAY = date(2026, 11, 29)
RULES = Rules()
LEADS = (60, 30, 7, 0)


def doc(id: int = 12, **terms) -> DocumentFact:
    return DocumentFact(id=id, vendor_name="Acme", title="Acme DPA", terms=Terms(**({"type": "dpa"} | terms)),
                        uploaded_by_id=4)


def items(**register) -> list[schedule.DueItem]:
    return list(schedule.due_items(Register(**register), today=TODAY, rules=RULES))


def announced(**register) -> list[tuple[str, int]]:
    return [(a.item.key, a.lead_days) for a in schedule.plan(Register(**register), today=TODAY, rules=RULES)]


@pytest.mark.parametrize(("days_left", "expected"), [
    (200, None), (61, None), (60, 60), (45, 60), (31, 60), (30, 30), (8, 30), (7, 7), (1, 7), (0, 0),
    (-1, 0), (-6, 0), (-7, -7), (-13, -7), (-14, -14), (-365, -364),
])
def test_the_slot_is_the_latest_lead_time_that_has_opened(days_left, expected):
    assert slot(TODAY + timedelta(days=days_left), today=TODAY, leads=LEADS, overdue_every_days=7) == expected


@pytest.mark.parametrize(("days_left", "expected"), [(-1, 0), (-7, 0), (-400, 0)])
def test_without_overdue_repeats_the_last_slot_holds(days_left, expected):
    assert slot(TODAY + timedelta(days=days_left), today=TODAY, leads=LEADS, overdue_every_days=None) == expected


def test_custom_lead_times_without_a_zero():
    due = TODAY + timedelta(days=-3)
    assert slot(due, today=TODAY, leads=(14, 3), overdue_every_days=7) == 3


@pytest.mark.parametrize(("register", "expected"), [
    ({"documents": [doc(expires_on=date(2027, 1, 28))]},
     [("document:12:expires:2027-01-28", Kind.document_expires, date(2027, 1, 28), "procurement", 4)]),
    ({"documents": [doc(type="soc2_type2", effective_on=date(2026, 2, 1))]},
     [("document:12:expires:2027-02-01", Kind.evidence_stale, date(2027, 2, 1), "procurement", 4)]),
    ({"documents": [doc(expires_on=date(2026, 12, 31), auto_renews=True, notice_days=30, effective_on=date(2025, 1, 1))]},
     [("document:12:notice:2026-12-01", Kind.notice_deadline, date(2026, 12, 1), "legal", 4)]),
    ({"documents": [doc(expires_on=date(2027, 1, 1), superseded=True)]}, []),
    ({"documents": [doc()]}, []),  # an open-ended agreement never falls due
    ({"assessments": [AssessmentFact(7, 3, "Papertrail", "SolarWinds", date(2027, 5, 1), 9)]},
     [("assessment:7:valid_until:2027-05-01", Kind.assessment_expires, date(2027, 5, 1), "security", 9)]),
    ({"requests": [RequestFact(5, "papertrail:choklad on api", "SolarWinds", date(2026, 11, 20), 2)]},
     [("addon_request:5:waiting:2026-11-27", Kind.request_waiting, date(2026, 11, 27), "security", 2)]),
    ({"certificate": CertificateFact("CN=riskreg signer", datetime(2027, 1, 10, 12, tzinfo=UTC))},
     [("certificate:signing:expires:2027-01-10", Kind.certificate_expires, date(2027, 1, 10), "admin", None)]),
    ({"shadows": [ShadowFact(31, "redis-cubed-123", "api", "heroku-redis:mini", date(2026, 11, 2))]},
     [("shadow:31:2026-11-02", Kind.shadow_addon, date(2026, 11, 2), "security", None)]),
    ({"drifts": [DriftFact("plan_changed", 8, "Postgres on api", "40:plan12", "approved x, installed y", date(2026, 3, 1))]},
     [("drift:plan_changed:8:40:plan12", Kind.drift, date(2026, 3, 1), "security", None)]),
])
def test_due_items_table(register, expected):
    assert [(i.key, i.kind, i.due_on, i.role, i.owner_id) for i in items(**register)] == expected


def test_links_point_at_the_pages_users_open():
    found = items(
        documents=[doc(expires_on=date(2027, 1, 28))],
        assessments=[AssessmentFact(7, 3, "Papertrail", "SolarWinds", date(2027, 5, 1), 9)],
        requests=[RequestFact(5, "papertrail:choklad on api", "SolarWinds", date(2026, 11, 20), 2)],
        certificate=CertificateFact("CN=riskreg signer", datetime(2027, 1, 10, 12, tzinfo=UTC)),
        shadows=[ShadowFact(31, "redis-cubed-123", "api & co/x", None, date(2026, 11, 2))],
        drifts=[DriftFact("gone", 8, "Postgres on api", "gone", "removed", date(2026, 3, 1))],
    )
    assert [i.link for i in found] == [
        "/assessments/7", "/documents/12", "/addon-requests/5", "/account#due",
        "/heroku?status=shadow&app=api+%26+co%2Fx", "/heroku",
    ]


def test_an_auto_renewing_contract_past_its_deadline_moves_to_the_next_term():
    renewing = doc(expires_on=date(2026, 11, 28), auto_renews=True, notice_days=30, effective_on=date(2025, 11, 29))
    [item] = items(documents=[renewing])
    assert item.due_on == date(2027, 10, 29)  # next term ends 2027-11-28; notice 30 days before
    assert announced(documents=[renewing]) == []  # far off: no slot yet


def test_a_notice_deadline_is_never_overdue_and_an_alert_is_told_once():
    deadline = doc(expires_on=TODAY + timedelta(days=30), auto_renews=True, notice_days=30, effective_on=date(2025, 1, 1))
    assert announced(documents=[deadline]) == [(f"document:12:notice:{TODAY.isoformat()}", 0)]
    old = ShadowFact(1, "x", "api", None, TODAY - timedelta(days=400))
    assert announced(shadows=[old]) == [("shadow:1:" + old.first_seen_on.isoformat(), 0)]


def test_a_waiting_request_has_no_run_up_and_then_repeats_weekly():
    def at(days_waiting):
        fact = RequestFact(5, "r", "v", TODAY - timedelta(days=days_waiting), None)
        return announced(requests=[fact])

    assert at(6) == []
    assert [lead for _, lead in at(7)] == [0]
    assert [lead for _, lead in at(21)] == [-14]


def test_addressees_are_the_owner_and_the_role_else_the_admins():
    people = [Person(1, "a@x", "A", "admin"), Person(2, "p@x", "P", "procurement"), Person(3, "e@x", "E", "engineer"),
              Person(4, "p2@x", "P2", "procurement")]
    directory = Directory.of(people)
    [item] = items(documents=[DocumentFact(1, "V", "T", Terms(type="dpa", expires_on=TODAY), uploaded_by_id=3)])
    assert [p.id for p in schedule.addressees(item, directory)] == [3, 2, 4]
    [legal_item] = items(documents=[doc(expires_on=TODAY + timedelta(days=40), auto_renews=True, notice_days=30,
                                        effective_on=date(2025, 1, 1))])
    nobody_legal = Directory.of([people[0], people[2]])
    assert [p.id for p in schedule.addressees(legal_item, nobody_legal)] == [1]  # uploader 4 is not active here


@pytest.mark.parametrize(("offset", "text"), [(30, "in 30 days"), (1, "tomorrow"), (0, "today"), (-1, "1 day overdue"),
                                              (-14, "14 days overdue")])
def test_when_reads_as_people_say_it(offset, text):
    [item] = items(documents=[doc(expires_on=TODAY + timedelta(days=offset))])
    assert schedule.when(item, today=TODAY) == text


# --- properties ------------------------------------------------------------------------------------

leads_strategy = st.lists(st.integers(0, 400), min_size=1, max_size=6, unique=True).map(
    lambda xs: tuple(sorted(xs, reverse=True)))
days = st.integers(-3000, 3000)


@given(leads=leads_strategy, due_offset=days, every=st.integers(1, 60))
def test_slot_is_a_lead_or_a_whole_overdue_multiple_and_none_only_before_the_first_lead(leads, due_offset, every):
    due = TODAY + timedelta(days=due_offset)
    found = slot(due, today=TODAY, leads=leads, overdue_every_days=every)
    if due_offset > max(leads):
        assert found is None
    else:
        assert found in leads or (found < 0 and found % every == 0 and -found <= -due_offset)


@settings(max_examples=60, deadline=None)
@given(leads=leads_strategy, every=st.integers(1, 30), gaps=st.lists(st.integers(1, 20), min_size=1, max_size=80))
def test_running_on_any_days_announces_each_slot_at_most_once_and_urgency_only_grows(leads, every, gaps):
    """Whichever days the job happens to run (daily, late, with gaps), the slots it meets never repeat and never
    go back to a less urgent one; run daily, it meets every lead time."""
    due = TODAY
    day = due - timedelta(days=max(leads) + 5)
    seen: list[int] = []
    for gap in gaps:
        current = slot(due, today=day, leads=leads, overdue_every_days=every)
        if current is not None and (not seen or seen[-1] != current):
            seen.append(current)
        day += timedelta(days=gap)
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen, reverse=True)

    daily = []
    for offset in range(-(max(leads) + 5), 1):
        current = slot(due, today=due + timedelta(days=offset), leads=leads, overdue_every_days=every)
        if current is not None and current not in daily:
            daily.append(current)
    assert daily == sorted(leads, reverse=True)


@given(expires=st.dates(date(1990, 1, 1), date(2150, 1, 1)), a=days, b=days,
       kind=st.sampled_from(["dpa", "soc2_type2", "insurance"]))
def test_keys_do_not_depend_on_the_day_they_are_computed(expires, a, b, kind):
    fact = doc(type=kind, expires_on=expires)
    first = list(schedule.due_items(Register(documents=[fact]), today=TODAY + timedelta(days=a), rules=RULES))
    second = list(schedule.due_items(Register(documents=[fact]), today=TODAY + timedelta(days=b), rules=RULES))
    assert first == second and len(first) == 1
    assert first[0].key == f"document:12:expires:{expires.isoformat()}"


@given(ids=st.lists(st.integers(1, 10_000), unique=True, max_size=30), offset=days)
def test_keys_are_unique_per_fact(ids, offset):
    facts = [doc(id=i, expires_on=TODAY + timedelta(days=offset)) for i in ids]
    keys = [i.key for i in items(documents=facts)]
    assert len(keys) == len(set(keys)) == len(ids)


def test_planning_is_a_generator_over_its_facts():
    """A Register of generators is consumed one fact at a time (memory stays flat as the register grows)."""
    made = 0

    def documents():
        nonlocal made
        for i in range(1, 1001):
            made += 1
            yield doc(id=i, expires_on=TODAY + timedelta(days=i % 90))

    plan = schedule.plan(Register(documents=documents()), today=TODAY, rules=RULES)
    first = next(plan)
    assert first.item.key.startswith("document:1:") and made == 1
