"""Real Chromium (Debian's package) driven by Playwright against the live test server."""

import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# (building the cast, asserting the database) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


@pytest.fixture(scope="session")
def browser(live_server):
    # Set up after the live server, so torn down before it: Chromium's keep-alive connections are
    # closed while the server still shares the in-memory SQLite connection with its request threads
    # (closed after, a request thread would close that connection from the wrong thread).
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed: run `make test` (it installs it) or apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """A 360 × 740 phone-sized page with Vietnamese locale."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="vi-VN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN", base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10000)
    yield page
    context.close()


@pytest.fixture
def live_cast(transactional_db):
    from conftest import build_cast
    from doanso.core.reference import ensure_reference_data

    ensure_reference_data()  # a transactional test flushes what the data migrations loaded
    return build_cast()
