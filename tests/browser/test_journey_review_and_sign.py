"""Journeys (b) and (c), through the pages only.

(b) Procurement starts a questionnaire on an integration and creates an invite; the vendor, signed out, answers
    through the link (follow-up questions appear as answers change) and submits; procurement sends it for
    security review; security approves.
(c) Legal signs the decided assessment, downloads the PDF, and the downloaded file verifies: on the public
    verify page, and with pyHanko against the demo's trust root.

(c) signs what (b) decided: the journey runs once, in order, in a module fixture, and each test checks its part.
"""

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from app.core import signing
from tests.browser.conftest import ARTIFACTS, Screenshots, sign_in
from tests.live_server import LiveServer

VENDOR = "Heroku"
INTEGRATION = "Heroku Postgres on acme-api-prod"  # a demo add-on whose gates all pass
QUESTIONNAIRE = "Heroku add-on"


def _answer_visible_questions(page: Page) -> int:
    """Gives every visible, unanswered question an answer, as a vendor would; returns how many it answered."""
    answered = 0
    for question in page.locator("fieldset.question:visible").all():
        answered += _answer(question)
    return answered


def _answer(question: Locator) -> int:
    radios = question.locator('input[type=radio][name^="value:"]:not([value=""])')
    if radios.count():
        if question.locator('input[type=radio][name^="value:"]:checked:not([value=""])').count():
            return 0
        radios.first.check()
        return 1
    boxes = question.locator('input[type=checkbox][name^="value:"]')
    if boxes.count():
        if question.locator('input[type=checkbox][name^="value:"]:checked').count():
            return 0
        boxes.first.check()
        return 1
    for selector, value in (('input[type=number][name^="value:"]', "4"), ('input[type=date][name^="value:"]', "2026-06-30"),
                            ('textarea[name^="value:"]', "Documented in our security policy, reviewed yearly."),
                            ('input[type=text][name^="value:"]', "Yes, see our trust centre")):
        field = question.locator(selector)
        if field.count() and not field.input_value():
            field.fill(value)
            return 1
    return 0


@dataclass
class Journey:
    assessment_url: str
    reviewed_notice: str
    vendor_thanks: str
    follow_up_appeared: bool


@pytest.fixture(scope="module")
def journey_b(chromium: Browser, demo_server: LiveServer) -> Journey:
    from tests.conftest import ran

    ran("browser")
    shot = Screenshots(ARTIFACTS / "journey_b_invite_answer_review")
    contexts = []

    def new_page(javascript: bool = True) -> Page:
        context = chromium.new_context(base_url=demo_server.url, java_script_enabled=javascript,
                                       viewport={"width": 1280, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    try:
        procurement = new_page()
        sign_in(procurement, "procurement@riskreg.local")
        procurement.get_by_role("link", name="Vendors").first.click()
        procurement.get_by_label("Search names").fill(VENDOR)
        procurement.get_by_role("button", name="Show vendors").click()
        procurement.locator("main").get_by_role("link", name=VENDOR, exact=True).click()
        shot(procurement, "vendor")
        procurement.locator("main").get_by_role("link", name=INTEGRATION).first.click()
        shot(procurement, "integration")
        procurement.get_by_role("button", name=f"Start questionnaire: {QUESTIONNAIRE}").click()
        procurement.wait_for_url(re.compile(r"/responses/\d+$"))
        response_url = procurement.url
        procurement.get_by_label("Vendor contact e-mail").fill("security@heroku.example.com")
        procurement.get_by_role("button", name="Create invite link").click()
        link = procurement.get_by_label("Vendor link (shown once)").input_value()
        assert "/respond/" in link
        shot(procurement, "invite created")

        vendor = new_page()  # signed out: the link is the credential
        vendor.goto(link)
        shot(vendor, "vendor form")
        hidden_before = vendor.locator("fieldset.question[hidden]").count()
        for _ in range(6):
            if not _answer_visible_questions(vendor):
                break
        follow_up_appeared = hidden_before > vendor.locator("fieldset.question[hidden]").count()
        shot(vendor, "vendor answered")
        vendor.get_by_role("button", name="Submit").click()
        thanks = vendor.locator("main").inner_text()
        shot(vendor, "vendor submitted")

        procurement.goto(response_url)
        expect(procurement.locator("main")).to_contain_text("submitted")
        shot(procurement, "response submitted")
        procurement.get_by_role("button", name="Send for security review").click()
        procurement.wait_for_url(re.compile(r"/assessments/\d+$"))
        assessment_url = procurement.url
        shot(procurement, "assessment taken")

        security = new_page()
        sign_in(security, "security@riskreg.local")
        security.get_by_role("link", name="Assessments").first.click()
        security.locator(f'a[href="{assessment_url.removeprefix(demo_server.url)}"]').first.click()
        security.get_by_label("Approve", exact=True).check()
        security.get_by_label("Reason").fill("Controls fit the data; DPA and BAA on file")
        shot(security, "review form")
        security.get_by_role("button", name="Record decision").click()
        notice = security.get_by_role("status").inner_text()
        shot(security, "reviewed")
        return Journey(assessment_url=assessment_url, reviewed_notice=notice, vendor_thanks=thanks,
                       follow_up_appeared=follow_up_appeared)
    finally:
        for context in contexts:
            context.close()


def test_b_procurement_invites_the_vendor_answers_and_security_reviews(journey_b):
    assert "Thank you" in journey_b.vendor_thanks
    assert journey_b.follow_up_appeared  # show_if questions appeared as the vendor answered
    assert "Decision recorded" in journey_b.reviewed_notice


def test_c_legal_signs_downloads_and_the_file_verifies(journey_b, browse, shot, demo_server, tmp_path):
    legal: Page = browse("legal")
    legal.get_by_role("link", name="Assessments").first.click()
    shot(legal, "awaiting signature")
    legal.locator(f'a[href="{journey_b.assessment_url.removeprefix(demo_server.url)}"]').first.click()
    legal.get_by_role("button", name="Sign record").click()
    expect(legal.get_by_role("status")).to_contain_text("Signed")
    shot(legal, "signed")

    with legal.expect_download() as download:
        legal.get_by_role("link", name="Download signed record (PDF)").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.suffix == ".pdf" and saved.read_bytes().startswith(b"%PDF-")

    legal.locator("main a[href=\"/records/verify\"]").first.click()
    legal.get_by_label("Signed record (PDF)").set_input_files(str(saved))
    legal.get_by_role("button", name="Verify record").click()
    expect(legal.get_by_role("heading", level=2).first).to_contain_text("verifies")
    shot(legal, "verified")

    # And as an auditor would, offline: pyHanko against the trust root seed-demo made (in a thread of its own:
    # Playwright's sync API keeps an event loop running in this one).
    roots = signing.load_trust_roots(Path(demo_server.base) / "signing" / "ca.pem")
    with ThreadPoolExecutor(1) as pool:
        result = pool.submit(signing.verify_pdf, saved.read_bytes(), trust_roots=roots).result()
    assert result.ok, result.problems
