"""The Hong Kong e-service's sessions: cookies, expiry, signing out with a CSRF token, the
back channel through an internal URL, and logs without personal data — against the
fake provider.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from bs4 import BeautifulSoup

from bridge.clock import ManualClock
from mock_idps.hk_eservice import create_app
from tests.mock_idps.hk_eservice_support import make_config, sign_in, start
from tests.mock_idps.hk_fake_provider import SUBJECT, FakeProvider
from tests.support.servers import RunningServer, bind_loopback, serving, url_of


async def csrf_token(browser: httpx.AsyncClient) -> str:
    profile = BeautifulSoup((await browser.get("/profile")).text, "html.parser")
    return str(profile.select_one("form[action='/logout'] input[name=csrf_token]")["value"])


async def test_signed_in_resident_goes_from_home_to_the_profile(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    assert (await hk_browser.get("/")).status_code == 200
    assert (await sign_in(hk_browser, fake_op)).signed_in
    home = await hk_browser.get("/")
    assert (home.status_code, home.headers["location"]) == (303, "/profile")


async def test_session_expires(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_clock: ManualClock
) -> None:
    assert (await sign_in(hk_browser, fake_op)).signed_in
    hk_clock.advance(1799)
    assert (await hk_browser.get("/profile")).status_code == 200
    hk_clock.advance(2)
    expired = await hk_browser.get("/profile")
    assert (expired.status_code, expired.headers["location"]) == (303, "/")


async def test_signing_in_again_ends_the_previous_session(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_service: RunningServer
) -> None:
    """No session fixation: a session id known before sign-in is worthless after it."""
    await sign_in(hk_browser, fake_op)
    first = hk_browser.cookies["hk_session"]
    await sign_in(hk_browser, fake_op)
    assert hk_browser.cookies["hk_session"] != first
    async with httpx.AsyncClient(base_url=hk_service.url, cookies={"hk_session": first}) as old:
        assert (await old.get("/profile")).headers["location"] == "/"


@pytest.mark.parametrize("token", [None, "", "forged-token"])
async def test_sign_out_without_the_csrf_token_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, token: str | None
) -> None:
    await sign_in(hk_browser, fake_op)
    form = {} if token is None else {"csrf_token": token}
    refused = await hk_browser.post("/logout", data=form)
    assert refused.status_code == 400
    assert BeautifulSoup(refused.text, "html.parser").find("main")["data-error"] == "form_expired"
    assert (await hk_browser.get("/profile")).status_code == 200, "still signed in"


async def test_sign_out_with_the_csrf_token_ends_the_session(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    await sign_in(hk_browser, fake_op)
    token = await csrf_token(hk_browser)
    signed_out = await hk_browser.post("/logout", data={"csrf_token": token})
    assert signed_out.status_code == 200
    assert BeautifulSoup(signed_out.text, "html.parser").find("main")["data-page"] == "signed-out"
    assert 'hk_session=""' in signed_out.headers["set-cookie"]
    assert (await hk_browser.get("/profile")).headers["location"] == "/"


async def test_cookies_are_secure_when_the_public_url_is_https(
    fake_op: FakeProvider, hk_clock: ManualClock
) -> None:
    sock = bind_loopback()
    config = make_config("https://eservice.example.gov.hk", fake_op.issuer)
    with serving(create_app(config, clock=hk_clock.now), sock):
        async with httpx.AsyncClient(base_url=url_of(sock)) as browser:
            response = await browser.get("/login/iamsmart", params={"lang": "en"})
    assert response.status_code == 302
    cookies = response.headers.get_list("set-cookie")
    assert {cookie.split("=")[0] for cookie in cookies} == {"hk_login", "lang"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    fake_op.authorize(response.headers["location"])  # a request the provider accepts
    assert (
        "redirect_uri=https%3A%2F%2Feservice.example.gov.hk%2Foidc%2Fcallback"
        in (response.headers["location"])
    )


async def test_back_channel_uses_the_internal_url_and_the_browser_the_public_issuer(
    fake_op: FakeProvider, fake_op_server: tuple[FakeProvider, RunningServer], hk_clock: ManualClock
) -> None:
    """In compose the browser reaches the bridge at localhost, the service at bridge:8000."""
    fake_op.issuer = "http://bridge.public.test:8000"  # a name only the browser resolves
    sock = bind_loopback()
    config = make_config(url_of(sock), fake_op.issuer, internal_url=fake_op_server[1].url)
    with serving(create_app(config, clock=hk_clock.now), sock):
        async with httpx.AsyncClient(base_url=url_of(sock)) as browser:
            outcome = await sign_in(browser, fake_op)
    assert outcome.signed_in, outcome.response.text[:300]
    assert {"/.well-known/openid-configuration", "/token", "/jwks.json", "/userinfo"} <= set(
        fake_op.hits
    )


async def test_logs_hold_no_personal_data_codes_states_or_tokens(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mock_idps.hk_eservice")
    request, code = await start(hk_browser, fake_op)
    await hk_browser.get(
        "/oidc/callback", params={"code": code, "state": request.state, "iss": fake_op.issuer}
    )
    fake_op.claims["nonce"] = "wrong"
    await sign_in(hk_browser, fake_op)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "session started" in logged and "ID token rejected" in logged, logged
    for secret in (SUBJECT, "李小明", code, request.state, request.nonce, "at-"):
        assert secret not in logged
