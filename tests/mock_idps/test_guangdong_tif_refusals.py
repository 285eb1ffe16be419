"""How `access_token` and `tokeninfo` refuse a tif client — the bridge, registered as
`gba-bridge-dev` — as the platform does, over HTTP."""

# The fixtures are imported to be shared, and test parameters reuse their names by design.
# ruff: noqa: F811
from __future__ import annotations

import uuid

import httpx

from bridge.clock import ManualClock
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    PORTAL_ID,
    PORTAL_SECRET,
    UPSTREAM_CALLBACK,
    query_of,
)
from tests.mock_idps.guangdong_tif import (  # noqa: F401 - fixtures
    ACCESS_TOKEN,
    PORTAL_CALLBACK,
    TOKENINFO,
    authorize_url,
    browser,
    clock,
    code_for,
    platform,
    refused,
    server,
    token_query,
)

# --- access_token refusals ------------------------------------------------------------


async def test_wrong_client_secret_is_invalid_client(browser: httpx.AsyncClient) -> None:
    code = await code_for(browser)
    error, code_number, _ = await refused(browser, token_query(code, client_secret="wrong"))
    assert (error, code_number) == ("invalid_client", "40002")


async def test_the_code_of_the_bridge_is_refused_to_another_client(
    browser: httpx.AsyncClient,
) -> None:
    code = await code_for(browser)
    params = token_query(
        code, client_id=PORTAL_ID, client_secret=PORTAL_SECRET, redirect_uri=PORTAL_CALLBACK
    )
    assert (await refused(browser, params))[:2] == ("invalid_grant", "40006")


async def test_wrong_redirect_uri_is_invalid_grant_and_spends_the_code(
    browser: httpx.AsyncClient,
) -> None:
    code = await code_for(browser)
    wrong = token_query(code, redirect_uri=UPSTREAM_CALLBACK + "/x")
    assert (await refused(browser, wrong))[:2] == ("invalid_grant", "40006")
    assert (await refused(browser, token_query(code)))[:2] == ("invalid_grant", "40003")


async def test_a_reused_code_is_invalid_grant(browser: httpx.AsyncClient) -> None:
    code = await code_for(browser)
    assert (await browser.get(ACCESS_TOKEN, params=token_query(code))).status_code == 200
    error, code_number, body = await refused(browser, token_query(code))
    assert (error, code_number) == ("invalid_grant", "40003")
    assert body["error_description"] == "code is invalid, expired or already used"


async def test_a_code_expires_after_its_configured_lifetime(
    browser: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    assert platform.config.lifetimes.portal_code == 60
    fresh = await code_for(browser)
    again = await browser.get(authorize_url())  # the platform session answers at once
    stale = query_of(again.headers["location"])["code"]
    clock.advance(59)
    assert (await browser.get(ACCESS_TOKEN, params=token_query(fresh))).status_code == 200
    clock.advance(2)
    assert (await refused(browser, token_query(stale)))[:2] == ("invalid_grant", "40003")


# --- tokeninfo refusals ---------------------------------------------------------------


async def test_tokeninfo_refuses_an_unknown_token_with_errcode(
    browser: httpx.AsyncClient,
) -> None:
    body = (await browser.get(TOKENINFO, params={"access_token": str(uuid.uuid4())})).json()
    assert body == {"errcode": 40014, "errmsg": "invalid access_token"}


async def test_tokeninfo_refuses_an_expired_token_with_errcode(
    browser: httpx.AsyncClient, clock: ManualClock
) -> None:
    token = await browser.get(ACCESS_TOKEN, params=token_query(await code_for(browser)))
    clock.advance(token.json()["expires_in"])
    body = await browser.get(TOKENINFO, params={"access_token": token.json()["access_token"]})
    assert body.json() == {"errcode": 42001, "errmsg": "access_token expired"}
