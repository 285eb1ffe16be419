"""The platform's own OAuth2 dialect for portals (docs/protocols.md §2.2, §2.3, §4.2), over HTTP.

A resident's platform session is made through `app.state.guangdong.sign_in`, the same
call the iAM Smart sign-in ends with, because the bridge is not part of these tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    PORTAL_ID,
    PORTAL_SECRET,
    USER_ID_CODES,
    make_config,
)
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

PORTAL_CALLBACK = "https://portal.example.gd.gov.cn/sso/callback?from=tyrz"
AUTHORIZE = "/tif/sso/connect/page/oauth2/authorize"
ACCESS_TOKEN = "/tif/sso/connect/page/oauth2/access_token"
TOKENINFO = "/tif/sso/connect/page/oauth2/tokeninfo"


# One server for the module (starting uvicorn dominates the run time); each test starts
# from empty stores. Time only moves forward, and every test makes its own codes.
@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture(scope="module")
def server(clock: ManualClock) -> Iterator[RunningServer]:
    sock = bind_loopback()
    config = make_config(url_of(sock), portal_redirect_uri=PORTAL_CALLBACK)
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
async def client(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=server.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http


def authorize_params(**changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": PORTAL_ID,
        "redirect_uri": PORTAL_CALLBACK,
        "response_type": "code",
        "scope": "all",
        "service": "initService",
        "state": "portal-state-1",
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


def signed_in(client: httpx.AsyncClient, platform: GuangdongPlatform, acr: str = "L3") -> None:
    account = platform.accounts.by_useridcode(USER_ID_CODES["wong-wing-fung"])
    assert account is not None
    client.cookies.set("gd_session", platform.sign_in(account, acr, "pairwise-wong"))


async def code_for(client: httpx.AsyncClient, **changes: str | None) -> str:
    response = await client.get(AUTHORIZE, params=authorize_params(**changes))
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return query["code"][0]


def token_params(code: str, /, **changes: str | None) -> dict[str, str]:
    params: dict[str, str | None] = {
        "client_id": PORTAL_ID,
        "client_secret": PORTAL_SECRET,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": PORTAL_CALLBACK,
        "scope": "all",
        **changes,
    }
    return {k: v for k, v in params.items() if v is not None}


# --- authorize -------------------------------------------------------------------------


async def test_signed_in_resident_is_sent_back_with_code_and_state(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    response = await client.get(AUTHORIZE, params=authorize_params())
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == PORTAL_CALLBACK.split("?")[0]
    query = parse_qs(location.query)
    assert query["from"] == ["tyrz"]  # the registered URI's own query is kept
    assert query["state"] == ["portal-state-1"]
    assert len(query["code"][0]) == 36  # a UUID, as observed


async def test_state_is_optional_and_then_absent_from_the_redirect(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    response = await client.get(AUTHORIZE, params=authorize_params(state=None))
    assert "state" not in parse_qs(urlsplit(response.headers["location"]).query)


async def test_signed_out_resident_sees_the_login_page_with_iamsmart(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    response = await client.get(AUTHORIZE, params=authorize_params())
    assert response.status_code == 200
    page = BeautifulSoup(response.text, "html.parser")
    button = page.find(id="iamsmart-login")
    assert button is not None and "智方便 iAM Smart" in button.get_text()
    href = str(button["href"])
    assert href.startswith("/login/iamsmart?resume=")
    resume = parse_qs(urlsplit(href).query)["resume"][0]
    pending = platform.portal_requests.get(resume)
    assert pending is not None and pending.state == "portal-state-1"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"client_id": "unknown-portal"}, "unknown_client"),
        ({"client_id": None}, "unknown_client"),
        ({"redirect_uri": "https://evil.example/callback"}, "bad_redirect_uri"),
        ({"redirect_uri": PORTAL_CALLBACK + "&x=1"}, "bad_redirect_uri"),
        ({"redirect_uri": None}, "bad_redirect_uri"),
        ({"scope": "openid"}, "bad_request"),
        ({"scope": None}, "bad_request"),
        ({"service": "other"}, "bad_request"),
        ({"service": None}, "bad_request"),
        ({"response_type": "token"}, "bad_request"),
    ],
)
async def test_bad_authorize_request_gets_an_error_page_never_a_redirect(
    client: httpx.AsyncClient,
    platform: GuangdongPlatform,
    changes: dict[str, str | None],
    reason: str,
) -> None:
    signed_in(client, platform)  # even a signed-in resident is not redirected
    response = await client.get(AUTHORIZE, params=authorize_params(**changes))
    assert response.status_code == 400
    assert "location" not in response.headers
    main = BeautifulSoup(response.text, "html.parser").find("main")
    assert main is not None and main["data-error"] == reason


async def test_repeated_parameter_is_a_bad_request(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    query = httpx.QueryParams(authorize_params()).add("scope", "all")
    response = await client.get(AUTHORIZE, params=query)
    assert response.status_code == 400


@pytest.mark.parametrize(
    "prefix", ["/pscp/sso/connect/page/oauth2", "/tif/sso/connect/page/oauth2"]
)
async def test_pscp_aliases_serve_the_same_dialect(
    client: httpx.AsyncClient, platform: GuangdongPlatform, prefix: str
) -> None:
    signed_in(client, platform)
    response = await client.get(f"{prefix}/authorize", params=authorize_params())
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    token = await client.get(f"{prefix}/access_token", params=token_params(code))
    assert token.status_code == 200
    info = await client.get(
        f"{prefix}/tokeninfo", params={"access_token": token.json()["access_token"]}
    )
    assert info.json()["errcode"] == 0


# --- access_token ----------------------------------------------------------------------


async def test_code_is_exchanged_for_a_bearer_token_by_get(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    response = await client.get(ACCESS_TOKEN, params=token_params(await code_for(client)))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 1800
    assert len(body["access_token"]) == 36


async def test_code_is_exchanged_by_form_post(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    response = await client.post(ACCESS_TOKEN, data=token_params(await code_for(client)))
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


async def test_code_is_single_use(client: httpx.AsyncClient, platform: GuangdongPlatform) -> None:
    signed_in(client, platform)
    code = await code_for(client)
    assert (await client.get(ACCESS_TOKEN, params=token_params(code))).status_code == 200
    again = await client.get(ACCESS_TOKEN, params=token_params(code))
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


async def test_code_expires_after_sixty_seconds(
    client: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    signed_in(client, platform)
    fresh, stale = await code_for(client), await code_for(client)
    clock.advance(59)
    assert (await client.get(ACCESS_TOKEN, params=token_params(fresh))).status_code == 200
    clock.advance(2)
    late = await client.get(ACCESS_TOKEN, params=token_params(stale))
    assert late.status_code == 400 and late.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_secret": PORTAL_SECRET + "x"}, "invalid_client"),
        ({"client_id": "other"}, "invalid_client"),
        ({"client_secret": None}, "invalid_request"),
        ({"grant_type": "client_credentials"}, "unsupported_grant_type"),
        ({"scope": "openid"}, "invalid_scope"),
        ({"redirect_uri": "https://portal.example.gd.gov.cn/other"}, "invalid_grant"),
        ({"code": "00000000-0000-0000-0000-000000000000"}, "invalid_grant"),
    ],
)
async def test_token_request_errors(
    client: httpx.AsyncClient,
    platform: GuangdongPlatform,
    changes: dict[str, str | None],
    error: str,
) -> None:
    signed_in(client, platform)
    response = await client.get(
        ACCESS_TOKEN, params=token_params(await code_for(client), **changes)
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == error
    assert body["error_msg"] == body["error_description"]
    assert body["error_code"].isdigit()
    assert PORTAL_SECRET not in response.text


async def test_code_presented_with_a_wrong_redirect_uri_is_spent(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    code = await code_for(client)
    wrong = token_params(code, redirect_uri="https://portal.example.gd.gov.cn/other")
    assert (await client.get(ACCESS_TOKEN, params=wrong)).status_code == 400
    assert (await client.get(ACCESS_TOKEN, params=token_params(code))).status_code == 400


async def test_repeated_token_parameter_is_invalid_request(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    query = httpx.QueryParams(token_params(await code_for(client))).add("code", "x")
    response = await client.get(ACCESS_TOKEN, params=query)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


async def test_non_form_body_is_invalid_request(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    response = await client.post(ACCESS_TOKEN, json={"code": "x"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


# --- tokeninfo -------------------------------------------------------------------------


async def token_for(client: httpx.AsyncClient) -> str:
    response = await client.get(ACCESS_TOKEN, params=token_params(await code_for(client)))
    token: str = response.json()["access_token"]
    return token


async def test_tokeninfo_returns_the_userobj(
    client: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    signed_in(client, platform, acr="L3")
    token = await token_for(client)
    clock.advance(100)
    body = (await client.get(TOKENINFO, params={"access_token": token})).json()
    assert body["errcode"] == 0 and body["errmsg"] == "ok"
    assert body["access_token"] == token and body["expires_in"] == 1700
    assert body["userobj"] == {
        "useridcode": USER_ID_CODES["wong-wing-fung"],
        "uid": "wong-wing-fung",
        "cn": "黄咏峰",
        "usertype": "1",
        "idcardtype": "40",  # the configured code of a 回乡证, never GA/T 517's 516
        "idcardnumber": "H12345678",
        "sex": "2",
        "telephonenumber": "+85291234567",
        "mail": "wong-wing-fung@example.hk",
        "isreal": "true",
        "realtype": "-1",
        "createtime": "20231102100000",
        "creditable_level_of_account": "L2",  # min(account L2, bridge acr L3)
        "creditable_level_of_account_way": "L2@-1@-1",
        "extproperties": [
            "origin=gdbs",
            "accout_type=-1",
            "area=-1",
            "uversion=1",
            "legal_code=-1",
        ],
    }
    assert "birthday" not in body["userobj"]  # kept for the binding check only


async def test_tokeninfo_level_follows_a_weaker_bridge_acr(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform, acr="L1")
    body = (await client.get(TOKENINFO, params={"access_token": await token_for(client)})).json()
    assert body["userobj"]["creditable_level_of_account"] == "L1"
    assert body["userobj"]["isreal"] == "true"


@pytest.mark.parametrize("params", [{"access_token": "not-a-token"}, {}])
async def test_tokeninfo_rejects_unknown_token(
    client: httpx.AsyncClient, platform: GuangdongPlatform, params: dict[str, str]
) -> None:
    body = (await client.get(TOKENINFO, params=params)).json()
    assert body["errcode"] != 0 and "userobj" not in body


async def test_tokeninfo_rejects_expired_token(
    client: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    signed_in(client, platform)
    token = await token_for(client)
    clock.advance(1800)
    body = (await client.get(TOKENINFO, params={"access_token": token})).json()
    assert body["errcode"] not in (0, None) and "userobj" not in body
    assert body["errmsg"] == "access_token expired"


# --- logout ----------------------------------------------------------------------------

LOGOUT = "/_tif_sso_logout_/"


async def test_logout_clears_the_session_and_redirects_to_a_registered_uri(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in(client, platform)
    assert len(platform.sessions) == 1
    response = await client.get(LOGOUT, params={"redirect_uri": PORTAL_CALLBACK})
    assert response.status_code == 302 and response.headers["location"] == PORTAL_CALLBACK
    assert len(platform.sessions) == 0
    again = await client.get(AUTHORIZE, params=authorize_params())
    assert again.status_code == 200  # the login page, not a code


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", PORTAL_CALLBACK + "x", None]
)
async def test_logout_never_redirects_elsewhere(
    client: httpx.AsyncClient, platform: GuangdongPlatform, target: str | None
) -> None:
    signed_in(client, platform)
    params = {"redirect_uri": target} if target else {}
    response = await client.get(LOGOUT, params=params)
    assert response.status_code == 200 and "location" not in response.headers
    main = BeautifulSoup(response.text, "html.parser").find("main")
    assert main is not None and main["data-page"] == "signed-out"
    assert len(platform.sessions) == 0


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
