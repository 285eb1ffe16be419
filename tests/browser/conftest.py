"""A real browser: headless Chromium from Debian's `chromium` package, driven by
Playwright for Python. Playwright's own browser download is never used (it cannot work
here, and CI must test the browser residents are likely to have): a missing
/usr/bin/chromium fails the tests with an install hint instead of skipping them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
# The machine's network is closed: without these Chromium keeps trying to reach Google
# services and floods the log with refused connections.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
INSTALL_HINT = (
    f"{CHROMIUM} not found; the browser tests need Debian's Chromium. Install it with "
    "`sudo apt-get install -y chromium` (scripts/setup --test does), or set CHROMIUM to "
    "a Chromium binary. Never `playwright install`: its download fails here."
)


# Module scope, not session: Playwright's sync API keeps an event loop running in this
# thread while it is open, and pytest-asyncio cannot run the async tests of later
# modules until it has stopped.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="module")
def chromium(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(INSTALL_HINT, pytrace=False)
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
