"""Signing out once, in a real browser: a Hong Kong resident who used the mock Guangdong
platform and the mock Hong Kong e-service in one bridge session signs out of the
platform by clicking its Sign out, passes through the bridge's end-session endpoint,
and finds the e-service signed out too (the bridge's back-channel logout reached it)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bridge.clock import ManualClock
from mock_idps.guangdong.i18n import load_catalog
from mock_idps.hk_eservice import create_app, load_config
from tests.flows.conftest import START, Chain, running_chain
from tests.support.servers import bind_loopback, serving, url_of

GD = load_catalog()


@pytest.fixture
def both(tmp_path: Path, redis_url: str) -> Iterator[tuple[Chain, str]]:
    sock = bind_loopback()
    env = {"HK_ESERVICE_PUBLIC_URL": url_of(sock)}
    fast = {"backchannel_poll_interval": 0.1}
    with running_chain(tmp_path, redis_url, env_overrides=env, settings_overrides=fast) as chain:
        config = load_config(env={**env, "BRIDGE_ISSUER": chain.bridge})
        with serving(create_app(config, clock=ManualClock(START).now), sock):
            yield chain, url_of(sock)


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(locale="en-GB", viewport={"width": 1000, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def approve_at_iamsmart(page: Page) -> None:
    page.locator("form[data-persona='wong-wing-fung']").get_by_role(
        "button", name="Approve"
    ).click()
    page.get_by_role("button", name="Allow", exact=True).click()


def test_signing_out_of_the_platform_signs_out_of_the_hk_eservice(
    both: tuple[Chain, str], context: BrowserContext, artifacts: Path
) -> None:
    chain, hk = both
    page = context.new_page()
    page.goto(f"{chain.guangdong}/login/iamsmart?lang=en")
    approve_at_iamsmart(page)
    page.get_by_label(GD.text("en", "bind.label")).fill("H12345678")
    page.get_by_role("button", name=GD.text("en", "bind.submit")).click()
    expect(page.locator("main")).to_have_attribute("data-page", "profile")

    page.goto(f"{hk}/?lang=en")
    page.locator("#login-iamsmart").click()
    approve_at_iamsmart(page)
    expect(page.locator("#profile-acr")).to_have_attribute("data-value", "L2")
    page.screenshot(path=str(artifacts / "logout-1-hk-signed-in.png"), full_page=True)

    page.goto(f"{chain.guangdong}/profile?lang=en")
    page.get_by_role("button", name=GD.text("en", "profile.logout")).click()
    expect(page.locator("main")).to_have_attribute("data-page", "signed-out")
    assert page.url.startswith(f"{chain.guangdong}/signed-out"), page.url
    page.screenshot(path=str(artifacts / "logout-2-guangdong-signed-out.png"), full_page=True)

    deadline = time.monotonic() + 5
    while True:
        page.goto(f"{hk}/profile")
        if page.url.rstrip("/") == hk or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert page.url.rstrip("/") == hk, "the e-service still shows the profile"
    expect(page.locator("#login-iamsmart")).to_be_visible()
    page.screenshot(path=str(artifacts / "logout-3-hk-signed-out.png"), full_page=True)
