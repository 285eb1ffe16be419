"""The mock kiosk against the real bridge: it polls no faster than the interval, shows
the resident once the phone approved, and Finish revokes its tokens at the bridge."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from bridge.clock import ManualClock
from mock_idps.kiosk import create_app as create_kiosk
from mock_idps.kiosk.config import load_config as load_kiosk_config
from tests.flows.conftest import START, Chain
from tests.flows.steps import choose, consent
from tests.support.browser import Resident
from tests.support.servers import bind_loopback, serving_all, url_of


@dataclass
class RunningKiosk:
    url: str
    app: Any
    clock: ManualClock


@pytest.fixture
def kiosk(chain: Chain) -> Iterator[RunningKiosk]:
    env = {
        "BRIDGE_ISSUER": chain.bridge,
        "KIOSK_CLIENT_ID": "test-kiosk",
        "KIOSK_CLIENT_SECRET": "test-kiosk-secret",
    }
    clock = ManualClock(START)
    sock = bind_loopback()
    app = create_kiosk(load_kiosk_config(env=env), clock=clock.now)
    with serving_all((app, sock)):
        yield RunningKiosk(url_of(sock), app, clock)


def test_the_kiosk_polls_at_the_interval_then_finish_revokes_its_tokens(
    chain: Chain, kiosk: RunningKiosk
) -> None:
    screen, phone = Resident(), Resident()
    waiting = screen.submit(screen.open(f"{kiosk.url}/"))
    assert waiting.html.select_one('meta[http-equiv="refresh"]')["content"] == "5"
    link = str(waiting.html.select_one("#qr")["data-uri"])
    done = consent(
        phone,
        choose(
            phone, phone.submit(phone.open(link), button=("decision", "approve")), "wong-wing-fung"
        ),
        "allow",
    )
    assert "/device/done" in done.url
    assert screen.open(f"{kiosk.url}/wait").html.select_one("#qr") is not None  # too soon
    kiosk.clock.advance(5)
    chain.bridge_clock.advance(5)
    page = screen.open(f"{kiosk.url}/wait")
    assert "/resident" in page.url, page.text[:300]
    desk = kiosk.app.state.kiosk
    session = desk.session(screen.http.cookies.get("kiosk_session"))
    access_token = session.tokens["access_token"]
    bearer = {"Authorization": f"Bearer {access_token}"}
    assert httpx.get(f"{chain.bridge}/userinfo", headers=bearer).status_code == 200
    screen.submit(page)  # Finish
    assert httpx.get(f"{chain.bridge}/userinfo", headers=bearer).status_code == 401
    assert desk.session(session.session_id) is None
    screen.close()
    phone.close()


def test_a_declined_sign_in_shows_on_the_kiosk(chain: Chain, kiosk: RunningKiosk) -> None:
    screen, phone = Resident(), Resident()
    waiting = screen.submit(screen.open(f"{kiosk.url}/"))
    link = str(waiting.html.select_one("#qr")["data-uri"])
    phone.submit(phone.open(link), button=("decision", "decline"))
    kiosk.clock.advance(5)
    chain.bridge_clock.advance(5)
    page = screen.open(f"{kiosk.url}/wait")
    assert page.html.select_one("#outcome")["data-outcome"] == "declined"
    screen.close()
    phone.close()
