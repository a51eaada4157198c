"""The audit log viewer: events with the API's filters and links to their entities, the chain's verification
(intact, then broken by a row edited in the database), and the JSON Lines export."""

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from app.audit import pages as audit_pages
from app.audit import service as audit_service
from tests.factories import TEST_ACTOR, make_integration, make_user
from tests.web.helpers import PASSWORD, post_login


@pytest.fixture
def auditor(db, anonymous):
    user = make_user(db, role="auditor", password=PASSWORD)
    db.commit()
    assert post_login(anonymous, user.email).status_code == 303
    return user


@pytest.fixture
def guard_off(db, backend) -> Iterator[None]:
    """Lifts the append-only triggers inside this test's transaction, as tests/audit does."""
    if backend == "sqlite":
        db.execute(text("DROP TRIGGER audit_event_no_update"))
        db.execute(text("DROP TRIGGER audit_event_no_delete"))
    else:
        db.execute(text("SET LOCAL session_replication_role = replica"))
    yield


def test_events_are_listed_newest_first_with_filters_and_links(db, anonymous, auditor):
    integration = make_integration(db)
    vendor_id = integration.vendor_id
    audit_service.record(db, actor=TEST_ACTOR, action="addon_request.decided", subject_type="integration",
                         subject_id=integration.id, changes={"status": {"before": "requested", "after": "approved"},
                                                             "note": {"before": None, "after": "<b>ok</b>"}})
    db.commit()

    page = anonymous.get("/audit")

    assert page.status_code == 200 and page.template.name == "audit/list.html"
    events = page.context["events"]
    assert [e.seq for e in events] == sorted((e.seq for e in events), reverse=True)
    decided = events[0]
    assert decided.action == "addon_request.decided" and decided.entity_url == f"/addon-requests/{integration.id}"
    assert decided.summary == "note: <b>ok</b>; status: requested → approved"
    assert "<b>ok</b>" not in page.text and "&lt;b&gt;ok&lt;/b&gt;" in page.text  # escaped, inside <details>
    assert f'href="/vendors/{vendor_id}"' in page.text and f'href="/integrations/{integration.id}"' in page.text
    assert "Intact" in page.text and page.context["verdict"].ok

    vendors = anonymous.get("/audit", params={"subject_type": "vendor", "subject_id": str(vendor_id)}).context["events"]
    assert [e.action for e in vendors] == ["vendor.created"]
    signed_in = anonymous.get("/audit", params={"actor": auditor.email, "action": "auth.signed_in"}).context["events"]
    assert [(e.actor, e.action) for e in signed_in] == [(auditor.email, "auth.signed_in")]
    assert anonymous.get("/audit", params={"since": "2999-01-01"}).context["events"] == []

    refused = anonymous.get("/audit", params={"since": "yesterday", "actor": "nobody@example.com"})
    assert refused.status_code == 422
    assert set(refused.context["errors"]) == {"since", "actor"} and refused.context["events"] == []
    assert 'aria-describedby="since-help since-error"' in refused.text


def test_older_events_are_a_cursor_page_away(db, anonymous, auditor, monkeypatch):
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 2)
    for n in range(3):
        audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id=n)
    db.commit()

    first = anonymous.get("/audit", params={"action": "note.added"})
    assert [e.entity for e in first.context["events"]] == ["Note 2", "Note 1"]
    second = anonymous.get("/audit", params={"action": "note.added", "cursor": first.context["next"]})
    assert [e.entity for e in second.context["events"]] == ["Note 0"] and second.context["next"] is None


def test_an_edited_row_shows_the_chain_broken_at_its_event(db, anonymous, auditor, guard_off):
    event = audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id="1")
    audit_service.record(db, actor=TEST_ACTOR, action="note.added", subject_type="note", subject_id="2")
    db.commit()
    db.execute(text("UPDATE audit_event SET actor = 'mallory' WHERE seq = :seq"), {"seq": event.seq})

    page = anonymous.get("/audit")

    verdict = page.context["verdict"]
    assert (verdict.ok, verdict.first_bad_seq) == (False, event.seq)
    assert "Broken" in page.text and f"The chain is broken at event {event.seq}: event {event.seq} was altered" in page.text


def test_a_long_chain_is_verified_on_request(db, anonymous, auditor, monkeypatch):
    monkeypatch.setattr(audit_pages, "AUTO_VERIFY_EVENTS", 0)

    page = anonymous.get("/audit", params={"action": "auth.signed_in"})
    assert page.context["verdict"] is None and "Verify the whole chain" in page.text
    assert '<input type="hidden" name="action" value="auth.signed_in">' in page.text  # the filters are kept

    checked = anonymous.get("/audit", params={"action": "auth.signed_in", "verify": "1"})
    assert checked.context["verdict"].ok and "Intact" in checked.text


def test_the_export_is_every_event_as_json_lines(db, anonymous, auditor):
    response = anonymous.get("/audit/export.jsonl")

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-trail-')
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert [row["seq"] for row in lines] == list(range(1, audit_service.head_seq(db) + 1))
    assert lines[-1]["action"] == "auth.signed_in" and lines[-1]["actor"] == auditor.email
