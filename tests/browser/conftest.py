"""Browser journeys: Debian's Chromium (/usr/bin/chromium, never a downloaded build) driven by Playwright
against a real `riskreg serve`, set up the way `make run` sets up a fresh clone: `riskreg migrate`,
`riskreg seed-demo` (demo data, one user per role, a development signing key), then `riskreg serve`.

Every journey saves a screenshot of each page it passes through under test-artifacts/screenshots/
(RISKREG_ARTIFACTS_DIR overrides the folder), so a reviewer can see what the browser saw.
"""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.demo.data import DEMO_PASSWORD
from tests.conftest import ran, unavailable
from tests.live_server import ROOT, LiveServer, riskreg, server_environment

CHROMIUM = os.environ.get("RISKREG_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("RISKREG_ARTIFACTS_DIR", ROOT / "test-artifacts")) / "screenshots"
DEMO_DOMAIN = "riskreg.local"

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every browser test, and keeps them on one xdist worker: one demo server, one Chromium."""
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A fresh database with the demo data, served by a real server: what `make run` gives a new clone."""
    base = tmp_path_factory.mktemp("browser-server")
    env = server_environment(base, RISKREG_STORAGE_BACKEND="database")
    riskreg("migrate", env=env)
    riskreg("seed-demo", env=env)
    server = LiveServer(base, env)
    server.start()
    env["RISKREG_PUBLIC_URL"] = server.url
    try:
        yield server
    finally:
        server.stop()


# Per module, not per session: Playwright's sync API keeps an event loop running in this thread while it is
# started, and the rest of the suite (pyHanko, anyio) must not find one after the browser tests are done.
@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        unavailable("browser", f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--disable-dev-shm-usage"])
        try:
            yield browser
        finally:
            browser.close()


class Screenshots:
    """Numbered full-page screenshots of one test, in a folder named after it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.count = 0
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True, exist_ok=True)

    def __call__(self, page: Page, name: str) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Screenshots:
    return Screenshots(ARTIFACTS / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name))


@pytest.fixture
def browse(chromium: Browser, demo_server: LiveServer, tmp_path: Path) -> Iterator[Callable[..., Page]]:
    """`browse(role)`: a new browser (its own cookies) signed in through the sign-in form as the demo
    user of `role`; `browse(None)` is signed out. `javascript=False` turns scripts off."""
    ran("browser")
    contexts = []

    def open_as(role: str | None, *, javascript: bool = True) -> Page:
        context = chromium.new_context(
            base_url=demo_server.url, java_script_enabled=javascript, accept_downloads=True,
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        if role is not None:
            sign_in(page, f"{role}@{DEMO_DOMAIN}")
        return page

    yield open_as
    for context in contexts:
        context.close()


def sign_in(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/$"))
