"""The platform as an OIDC client of the bridge: the authorization request and the
checks made on the authorization response before any code is redeemed.

The "bridge" here is a static discovery document and key set served over HTTP (test
data, not an OpenID Provider): completing a sign-in is left to the end-to-end tests
against the real bridge.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI, Request

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import make_config
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


@dataclass
class StaticBridge:
    """Serves only a discovery document and an empty key set, and notes each request."""

    issuer: str
    advertised_issuer: str | None = None
    seen: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        issuer = self.advertised_issuer or self.issuer
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "userinfo_endpoint": f"{issuer}/userinfo",
            "jwks_uri": f"{issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["ES256"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": True,
        }

    def app(self) -> FastAPI:
        app = FastAPI()

        async def discovery(request: Request) -> dict[str, Any]:
            self.seen.append(request.url.path)
            return self.document()

        async def jwks(request: Request) -> dict[str, Any]:
            self.seen.append(request.url.path)
            return {"keys": []}

        app.add_api_route("/.well-known/openid-configuration", discovery, methods=["GET"])
        app.add_api_route("/jwks", jwks, methods=["GET"])
        return app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture(scope="module")
def static_bridge() -> Iterator[tuple[StaticBridge, RunningServer]]:
    sock = bind_loopback()
    static = StaticBridge(issuer=url_of(sock))
    with serving(static.app(), sock) as running:
        yield static, running


@pytest.fixture
def bridge(
    static_bridge: tuple[StaticBridge, RunningServer],
) -> tuple[StaticBridge, RunningServer]:
    static_bridge[0].seen.clear()
    static_bridge[0].advertised_issuer = None
    return static_bridge


@pytest.fixture
def platform_server(
    bridge: tuple[StaticBridge, RunningServer], clock: ManualClock
) -> Iterator[RunningServer]:
    sock = bind_loopback()
    config = make_config(url_of(sock), issuer=bridge[0].issuer)
    with serving(create_app(config, clock=clock.now), sock) as running:
        yield running


def platform_of(server: RunningServer) -> GuangdongPlatform:
    app: Any = server.server.config.app
    state: GuangdongPlatform = app.state.guangdong
    return state


@pytest.fixture
async def client(platform_server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform_server.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def page_of(response: httpx.Response) -> Any:
    return BeautifulSoup(response.text, "html.parser")


# --- the authorization request --------------------------------------------------------


async def test_login_redirects_to_the_bridge_with_pkce_state_and_nonce(
    client: httpx.AsyncClient,
    platform_server: RunningServer,
    bridge: tuple[StaticBridge, RunningServer],
) -> None:
    response = await client.get("/login/iamsmart")
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(f"{bridge[0].issuer}/authorize?")
    query = query_of(location)
    assert all(len(values) == 1 for values in query.values())
    params = {name: values[0] for name, values in query.items()}
    assert params["response_type"] == "code"
    assert params["client_id"] == "gd-platform-dev"
    assert params["redirect_uri"] == f"{platform_server.url}/oidc/callback"
    assert params["scope"] == "openid profile phone email"
    assert params["code_challenge_method"] == "S256"
    assert params["ui_locales"] == "zh-Hans"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert params["state"] != params["nonce"]
    assert "client_secret" not in params and "code_verifier" not in params
    flow = platform_of(platform_server).logins.get(params["state"])
    assert flow is not None and flow.nonce == params["nonce"]
    assert params["code_challenge"] == s256(flow.code_verifier)
    assert 43 <= len(flow.code_verifier) <= 128  # RFC 7636 §4.1


async def test_login_binds_the_flow_to_the_browser_with_an_httponly_lax_cookie(
    client: httpx.AsyncClient, platform_server: RunningServer
) -> None:
    response = await client.get("/login/iamsmart")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("gd_login=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    state = query_of(response.headers["location"])["state"][0]
    flow = platform_of(platform_server).logins.get(state)
    assert flow is not None and flow.browser == client.cookies["gd_login"]


async def test_every_login_gets_fresh_values(client: httpx.AsyncClient) -> None:
    first = query_of((await client.get("/login/iamsmart")).headers["location"])
    second = query_of((await client.get("/login/iamsmart")).headers["location"])
    for name in ("state", "nonce", "code_challenge"):
        assert first[name] != second[name]


@pytest.mark.parametrize(
    ("request_params", "headers", "expected"),
    [
        ({"ui_locales": "en"}, {}, "en"),
        ({"ui_locales": "zh-HK en"}, {}, "zh-HK en"),
        ({}, {"accept-language": "zh-HK,zh;q=0.8,en;q=0.5"}, "zh-Hant"),
        ({"lang": "en"}, {}, "en"),
        ({"ui_locales": '"><script>'}, {}, "zh-Hans"),
    ],
)
async def test_ui_locales_is_passed_on_or_taken_from_the_page_language(
    client: httpx.AsyncClient,
    request_params: dict[str, str],
    headers: dict[str, str],
    expected: str,
) -> None:
    response = await client.get("/login/iamsmart", params=request_params, headers=headers)
    assert query_of(response.headers["location"])["ui_locales"] == [expected]


async def test_back_channel_uses_the_internal_url_and_the_browser_the_public_issuer(
    bridge: tuple[StaticBridge, RunningServer], clock: ManualClock
) -> None:
    """In compose the browser reaches the bridge at localhost, the container at bridge:8000."""
    static, running = bridge
    static.advertised_issuer = UNREACHABLE
    sock = bind_loopback()
    config = make_config(url_of(sock), issuer=UNREACHABLE, internal_url=running.url)
    with serving(create_app(config, clock=clock.now), sock) as platform:
        async with httpx.AsyncClient(base_url=platform.url, verify=TRUSTED) as http:
            response = await http.get("/login/iamsmart")
    assert response.status_code == 302
    assert response.headers["location"].startswith(f"{UNREACHABLE}/authorize?")
    assert static.seen == ["/.well-known/openid-configuration"]


async def test_discovery_is_cached(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer], clock: ManualClock
) -> None:
    await client.get("/login/iamsmart")
    await client.get("/login/iamsmart")
    assert bridge[0].seen == ["/.well-known/openid-configuration"]
    clock.advance(301)
    await client.get("/login/iamsmart")
    assert len(bridge[0].seen) == 2


async def test_unreachable_bridge_gives_a_page_not_a_500(clock: ManualClock) -> None:
    sock = bind_loopback()
    with serving(
        create_app(make_config(url_of(sock), issuer=UNREACHABLE), clock=clock.now), sock
    ) as srv:
        async with httpx.AsyncClient(base_url=srv.url, verify=TRUSTED) as http:
            response = await http.get("/login/iamsmart", params={"lang": "en"})
    assert response.status_code == 503
    main = page_of(response).find("main")
    assert main["data-error"] == "unavailable"
    assert "temporarily unavailable" in main.get_text()
    assert page_of(response).find(id="try-again")["href"] == "/login/iamsmart"


async def test_discovery_for_another_issuer_is_refused(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer]
) -> None:
    bridge[0].advertised_issuer = "https://attacker.example"
    response = await client.get("/login/iamsmart")
    assert response.status_code == 400
    assert page_of(response).find("main")["data-error"] == "failed"


# --- the authorization response -------------------------------------------------------


async def started(client: httpx.AsyncClient, **params: str) -> str:
    response = await client.get("/login/iamsmart", params=params)
    return query_of(response.headers["location"])["state"][0]


async def test_declined_sign_in_shows_a_clear_page_in_the_residents_language(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer]
) -> None:
    state = await started(client, ui_locales="en")
    response = await client.get(
        "/oidc/callback",
        params={
            "error": "access_denied",
            "error_description": "x",
            "state": state,
            "iss": bridge[0].issuer,
        },
    )
    assert response.status_code == 200
    page = page_of(response)
    assert page.find("html")["lang"] == "en"
    assert page.find("main")["data-error"] == "declined"
    assert "You cancelled or declined" in page.get_text()
    assert page.find(id="try-again")["href"] == "/login/iamsmart"


async def test_declined_page_defaults_to_simplified_chinese(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer]
) -> None:
    state = await started(client)
    response = await client.get(
        "/oidc/callback",
        params={"error": "access_denied", "state": state, "iss": bridge[0].issuer},
    )
    page = page_of(response)
    assert page.find("html")["lang"] == "zh-Hans"
    assert "您已取消或拒绝了智方便登录" in page.get_text()


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        ("temporarily_unavailable", "unavailable", 503),
        ("server_error", "unavailable", 503),
        ("invalid_request", "failed", 400),
        ("consent_required", "declined", 200),
    ],
)
async def test_other_bridge_errors_map_to_a_page(
    client: httpx.AsyncClient,
    bridge: tuple[StaticBridge, RunningServer],
    error: str,
    kind: str,
    status: int,
) -> None:
    state = await started(client)
    response = await client.get(
        "/oidc/callback", params={"error": error, "state": state, "iss": bridge[0].issuer}
    )
    assert response.status_code == status
    assert page_of(response).find("main")["data-error"] == kind


@pytest.mark.parametrize("iss", ["https://attacker.example", None])
async def test_response_from_another_issuer_is_refused_before_redemption(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer], iss: str | None
) -> None:
    """RFC 9207 mix-up defence: the code is never sent to any token endpoint."""
    state = await started(client)
    params = {"code": "some-code", "state": state}
    if iss:
        params["iss"] = iss
    response = await client.get("/oidc/callback", params=params)
    assert response.status_code == 400
    assert page_of(response).find("main")["data-error"] == "failed"
    assert "/token" not in bridge[0].seen


async def test_callback_state_is_single_use(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer]
) -> None:
    state = await started(client)
    params = {"error": "access_denied", "state": state, "iss": bridge[0].issuer}
    await client.get("/oidc/callback", params=params)
    again = await client.get("/oidc/callback", params=params)
    assert again.status_code == 400
    assert page_of(again).find("main")["data-error"] == "expired"


@pytest.mark.parametrize("state", ["unknown-state", None])
async def test_unknown_state_is_refused(client: httpx.AsyncClient, state: str | None) -> None:
    params = {"code": "c", "iss": "x"} | ({"state": state} if state else {})
    response = await client.get("/oidc/callback", params=params)
    assert response.status_code == 400
    assert page_of(response).find("main")["data-error"] == "expired"


async def test_callback_in_another_browser_is_refused(
    client: httpx.AsyncClient,
    platform_server: RunningServer,
    bridge: tuple[StaticBridge, RunningServer],
) -> None:
    """Login CSRF: a callback URL planted in a victim's browser does not sign them in."""
    state = await started(client)
    async with httpx.AsyncClient(base_url=platform_server.url, verify=TRUSTED) as victim:
        response = await victim.get(
            "/oidc/callback", params={"code": "c", "state": state, "iss": bridge[0].issuer}
        )
    assert response.status_code == 400
    assert page_of(response).find("main")["data-error"] == "expired"


async def test_sign_in_expires(
    client: httpx.AsyncClient, bridge: tuple[StaticBridge, RunningServer], clock: ManualClock
) -> None:
    state = await started(client)
    clock.advance(601)
    response = await client.get(
        "/oidc/callback", params={"error": "access_denied", "state": state, "iss": bridge[0].issuer}
    )
    assert page_of(response).find("main")["data-error"] == "expired"


async def test_portal_sign_in_retry_link_keeps_the_portal_request(
    client: httpx.AsyncClient,
    platform_server: RunningServer,
    bridge: tuple[StaticBridge, RunningServer],
) -> None:
    page = await client.get(
        "/tif/sso/connect/page/oauth2/authorize",
        params={
            "client_id": "gd-portal-dev",
            "redirect_uri": "http://127.0.0.1:8003/callback",
            "response_type": "code",
            "scope": "all",
            "service": "initService",
        },
    )
    login_href = page_of(page).find(id="iamsmart-login")["href"]
    response = await client.get(login_href)
    state = query_of(response.headers["location"])["state"][0]
    declined = await client.get(
        "/oidc/callback", params={"error": "access_denied", "state": state, "iss": bridge[0].issuer}
    )
    assert page_of(declined).find(id="try-again")["href"] == login_href
