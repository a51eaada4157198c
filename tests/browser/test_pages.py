"""Every page in the navigation opens for the roles that may use it, in a real browser, with one heading,
labelled fields and no console errors (a CSP violation shows up there); a screenshot of each."""

import re

import pytest
from playwright.sync_api import Page

ROLES = ["engineer", "procurement", "security", "legal", "auditor"]

# Every form control must have an accessible name: a <label>, aria-label or aria-labelledby.
UNLABELLED = """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
  .map(el => el.name || el.id || el.outerHTML.slice(0, 80))"""


def _watch_console(page: Page) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


@pytest.mark.parametrize("role", ROLES)
def test_each_navigation_page_opens_and_is_labelled(browse, shot, role):
    page: Page = browse(role)
    problems = _watch_console(page)
    shot(page, "dashboard")
    links = page.locator("nav[aria-label=Main] a")
    targets = [(links.nth(i).inner_text(), links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert ("Dashboard", "/") in targets
    for text, href in [*targets, ("Account", "/account")]:
        response = page.goto(href)
        assert response is not None and response.status == 200, (role, href)
        assert page.locator("h1").count() == 1, (role, href)
        assert page.evaluate(UNLABELLED) == [], (role, href)
        shot(page, text)
    assert problems == [], problems


def test_signed_out_visitors_are_sent_to_sign_in(browse):
    page: Page = browse(None)
    page.goto("/vendors")
    assert re.search(r"/login$", page.url)
    assert page.get_by_role("heading", name="Sign in").is_visible()
