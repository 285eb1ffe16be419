"""The mock platform as the bridge's tif identity provider, for its tests: one server
per test module (a portal, the bridge as `gba-bridge-dev`, and a portal that offers only
iAM Smart), a fresh browser per test, and the steps of a sign-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from bs4 import BeautifulSoup

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    UPSTREAM_CALLBACK,
    UPSTREAM_ID,
    UPSTREAM_SECRET,
    make_config,
    platform_sign_in,
    query_of,
)
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

PORTAL_CALLBACK = "http://127.0.0.1:8003/callback"
AUTHORIZE = "/tif/sso/connect/page/oauth2/authorize"
ACCESS_TOKEN = "/tif/sso/connect/page/oauth2/access_token"
TOKENINFO = "/tif/sso/connect/page/oauth2/tokeninfo"
IAMSMART_ONLY = "hk-residents-portal"
"""A portal whose users sign in only with iAM Smart."""


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture(scope="module")
def server(clock: ManualClock) -> Iterator[RunningServer]:
    sock = bind_loopback()
    config = make_config(url_of(sock), portal_redirect_uri=PORTAL_CALLBACK)
    iamsmart_only = config.portal_clients[0].model_copy(
        update={"client_id": IAMSMART_ONLY, "login_methods": ("iamsmart",)}
    )
    config = config.model_copy(update={"portal_clients": (*config.portal_clients, iamsmart_only)})
    with serving(create_app(config, clock=clock.now), sock) as running:
        yield running


@pytest.fixture
def platform(server: RunningServer) -> GuangdongPlatform:
    app: Any = server.server.config.app
    state: GuangdongPlatform = app.state.guangdong
    for store in (state.sessions, state.portal_requests, state.portal.codes, state.portal.tokens):
        store.clear()
    return state


@pytest.fixture
async def browser(
    server: RunningServer, platform: GuangdongPlatform
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=server.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http


def authorize_url(client_id: str = UPSTREAM_ID, **changes: str | None) -> str:
    redirect_uri = UPSTREAM_CALLBACK if client_id == UPSTREAM_ID else PORTAL_CALLBACK
    params: dict[str, str | None] = {
        "service": "initService",
        "response_type": "code",
        "client_id": client_id,
        "scope": "all",
        "redirect_uri": redirect_uri,
        "state": "bridge-state-1",
        **changes,
    }
    return AUTHORIZE + "?" + urlencode({k: v for k, v in params.items() if v is not None})


def page(response: httpx.Response) -> Any:
    return BeautifulSoup(response.text, "html.parser")


async def code_for(browser: httpx.AsyncClient, persona: str = "chen-fa-ming") -> str:
    answer = await platform_sign_in(browser, authorize_url(), persona)
    assert answer.status_code == 303, answer.text[:300]
    return query_of(answer.headers["location"])["code"]


def token_query(code: str, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": UPSTREAM_ID,
        "code": code,
        "scope": "all",
        "client_secret": UPSTREAM_SECRET,
        "grant_type": "authorization_code",
        "redirect_uri": UPSTREAM_CALLBACK,
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


async def refused(
    browser: httpx.AsyncClient, params: dict[str, str]
) -> tuple[str, str, dict[str, Any]]:
    response = await browser.get(ACCESS_TOKEN, params=params)
    assert response.status_code == 400
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error_msg"] == body["error_description"]
    assert UPSTREAM_SECRET not in response.text
    return body["error"], body["error_code"], body
