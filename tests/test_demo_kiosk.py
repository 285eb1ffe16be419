"""`bridge demo` starts the mock kiosk: a person at the kiosk signs in with a second
browser window standing in for their phone, and Finish ends the kiosk's session."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.steps import choose, consent
from tests.support.browser import Page, Resident
from tests.support.demo import running_demo


def wait_at_kiosk(kiosk: Resident, page: Page, seconds: float = 30) -> Page:
    """What the kiosk's screen does: reload as its meta refresh says, until it moves on."""
    deadline = time.monotonic() + seconds
    while "/wait" in page.url and page.html.select_one("#qr") is not None:
        assert time.monotonic() < deadline, "the kiosk never saw the answer"
        refresh = page.html.select_one('meta[http-equiv="refresh"]')
        assert refresh is not None
        time.sleep(int(str(refresh["content"])))
        page = kiosk.open(page.url)
    return page


@pytest.fixture
def kiosk() -> Iterator[Resident]:
    with contextlib.closing(Resident()) as browser:
        yield browser


@pytest.fixture
def phone() -> Iterator[Resident]:
    with contextlib.closing(Resident()) as browser:
        yield browser


def test_demo_kiosk_signs_a_resident_in_with_a_second_window_as_the_phone(
    tmp_path: Path, kiosk: Resident, phone: Resident
) -> None:
    with running_demo(tmp_path / "keys") as demo:
        home = kiosk.open(f"{demo.kiosk}/")
        waiting = kiosk.submit(home)  # Start
        qr = waiting.html.select_one("#qr")
        assert qr is not None, f"{waiting.status} {waiting.url}: {waiting.text[:400]}"
        assert qr.select_one("svg") is not None
        link = str(qr["data-uri"])
        assert link.startswith(f"{demo.bridge}/device?user_code=")
        code = waiting.html.select_one("#user-code").get_text(strip=True)
        assert code in link

        confirm = phone.open(link)
        assert "Guangdong Government Services kiosk (mock)" in confirm.text
        at_iamsmart = phone.submit(confirm, button=("decision", "approve"))
        done = consent(phone, choose(phone, at_iamsmart, "wong-wing-fung"), "allow")
        assert "/device/done" in done.url

        signed_in = wait_at_kiosk(kiosk, kiosk.open(f"{demo.kiosk}/wait"))
        assert "/resident" in signed_in.url, signed_in.text[:300]
        assert signed_in.html.select_one('[data-claim="name"]') is not None
        finished = kiosk.submit(signed_in)  # Finish
        assert finished.html.select_one("#finished") is not None
        assert "/resident" not in kiosk.open(f"{demo.kiosk}/resident").url  # gone
    assert f"Open {demo.kiosk}/" in demo.output
