"""Journey (a), through the pages only: an engineer asks for a Heroku Postgres plan on the demo's Shield
app, sees the request blocked (a non-Shield plan in a Shield space, for an app holding PHI), changes the
plan until every gate passes and submits; security approves it."""

import re

from playwright.sync_api import Page, expect

SHIELD_APP = "acme-clinic-prod"  # the demo's app in a Shield space, holding PHI


def test_engineer_requests_an_add_on_for_a_shield_app_and_security_approves(browse, shot):
    engineer: Page = browse("engineer")
    engineer.get_by_role("link", name="Request an add-on").first.click()
    expect(engineer.get_by_role("heading", level=1)).to_contain_text("add-on")
    shot(engineer, "request form")

    engineer.get_by_label("App", exact=True).select_option(SHIELD_APP)
    engineer.get_by_label("Add-on plan").select_option("heroku-postgresql:essential-0")
    engineer.get_by_label("Customer personal data").check()
    preview = engineer.locator("#gate-preview")
    expect(preview).to_contain_text("Blocked")
    expect(preview).to_contain_text("Shield")
    shot(engineer, "blocked preview")

    engineer.get_by_label("Add-on plan").select_option("heroku-postgresql:shield-0")
    expect(preview).to_contain_text("Every gate passes")
    engineer.get_by_label("Purpose").fill("Patient records store for the clinic app")
    engineer.get_by_label("How the data is filtered").fill("Only the clinic's own tables; no raw card data")
    shot(engineer, "passing preview")
    engineer.get_by_role("button", name="Submit request").click()

    engineer.wait_for_url(re.compile(r"/addon-requests/\d+$"))
    expect(engineer.get_by_role("status")).to_contain_text("Request submitted")
    request_url = engineer.url
    shot(engineer, "request submitted")

    security: Page = browse("security")
    security.goto(request_url)
    security.get_by_label("Approve", exact=True).check()
    security.get_by_label("Reason").fill("Shield plan in the Shield space; BAA and DPA on file")
    shot(security, "decision form")
    security.get_by_role("button", name="Record decision").click()

    expect(security.get_by_role("status")).to_contain_text("Approved")
    expect(security.locator("main")).to_contain_text("approved")
    shot(security, "approved")

    engineer.goto(request_url)  # the engineer sees the decision on their request
    expect(engineer.locator("main")).to_contain_text("approved")


def test_the_request_form_works_without_javascript(browse, shot):
    engineer: Page = browse("engineer", javascript=False)
    engineer.goto("/addon-requests/new")
    engineer.get_by_label("App", exact=True).select_option(SHIELD_APP)
    engineer.get_by_label("Add-on plan").select_option("heroku-postgresql:essential-0")
    engineer.get_by_label("Customer personal data").check()
    engineer.get_by_role("button", name="Check gates").click()
    expect(engineer.locator("#gate-preview")).to_contain_text("Blocked")
    shot(engineer, "checked without javascript")


def test_a_signed_out_preview_says_so_instead_of_showing_the_sign_in_page(browse):
    engineer: Page = browse("engineer")
    engineer.goto("/addon-requests/new")
    engineer.context.clear_cookies()  # the session ends (expired, or signed out in another tab)
    engineer.get_by_label("App", exact=True).select_option(SHIELD_APP)
    preview = engineer.locator("#gate-preview")
    expect(preview).to_contain_text("could not be checked")
    assert preview.locator("input[type=password]").count() == 0
