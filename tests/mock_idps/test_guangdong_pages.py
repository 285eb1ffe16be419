"""The resident's pages after the iAM Smart sign-in: the 回乡证 form, the profile,
logout and unbinding, over HTTP.

The sign-in itself needs the bridge; here a pending binding is opened with
`app.state.guangdong.begin_binding`, the call the OIDC callback makes with the
bridge's verified identity.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from pydantic import ValidationError

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app, load_config
from mock_idps.guangdong.__main__ import main
from mock_idps.guangdong.i18n import LOCALES, load_catalog
from mock_idps.guangdong.oidc_client import BridgeIdentity
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    CLAIMS,
    PERMITS,
    PORTAL_ID,
    PORTAL_SECRET,
    USER_ID_CODES,
    make_config,
)
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

PORTAL_CALLBACK = "http://127.0.0.1:8003/callback"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


@pytest.fixture(scope="module")
def server(clock: ManualClock) -> Iterator[RunningServer]:
    sock = bind_loopback()
    with serving(create_app(make_config(url_of(sock)), clock=clock.now), sock) as running:
        yield running


@pytest.fixture
def platform(server: RunningServer) -> GuangdongPlatform:
    app: Any = server.server.config.app
    state: GuangdongPlatform = app.state.guangdong
    state.bindings.clear()
    for store in (state.sessions, state.pending_bindings, state.portal_requests):
        store.clear()
    return state


@pytest.fixture
async def client(
    server: RunningServer, platform: GuangdongPlatform
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=server.url, follow_redirects=False, verify=TRUSTED
    ) as http:
        yield http


def signed_in_with_iamsmart(
    platform: GuangdongPlatform,
    client: httpx.AsyncClient,
    persona: str,
    *,
    acr: str = "L2",
    resume: str | None = None,
    **claim_changes: Any,
) -> None:
    claims = {**CLAIMS[persona], **claim_changes}
    identity = BridgeIdentity(subject=claims["sub"], acr=acr, claims=claims)
    client.cookies.set("gd_bind", platform.begin_binding(identity, resume, None))


def page(response: httpx.Response) -> Any:
    return BeautifulSoup(response.text, "html.parser")


async def submit(client: httpx.AsyncClient, permit_number: str) -> httpx.Response:
    form = page(await client.get("/bind"))
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    return await client.post("/bind", data={"csrf_token": token, "permit_number": permit_number})


# --- the 回乡证 form -------------------------------------------------------------------


async def test_bind_form_asks_for_the_permit_number_with_a_label_and_csrf_token(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    response = await client.get("/bind")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    form = page(response)
    assert form.find("html")["lang"] == "zh-Hans"
    assert form.find("main")["data-page"] == "bind"
    field = form.find("input", id="permit_number")
    assert field["name"] == "permit_number"
    assert form.find("label", attrs={"for": "permit_number"}).get_text() == "回乡证号码"
    assert len(form.find("input", attrs={"name": "csrf_token"})["value"]) >= 32
    assert form.find("form")["method"] == "post" and form.find("form")["action"] == "/bind"


@pytest.mark.parametrize(("persona", "acr"), [("wong-wing-fung", "L3"), ("lau-chi-ming", "L2")])
async def test_matching_permit_binds_and_signs_in(
    client: httpx.AsyncClient, platform: GuangdongPlatform, persona: str, acr: str
) -> None:
    signed_in_with_iamsmart(platform, client, persona, acr=acr)
    response = await submit(client, PERMITS[persona])
    assert response.status_code == 303 and response.headers["location"] == "/profile"
    cookies = response.headers.get_list("set-cookie")
    session_cookie = next(c for c in cookies if c.startswith("gd_session="))
    assert "HttpOnly" in session_cookie and "samesite=lax" in session_cookie.lower()
    assert any(c.startswith('gd_bind=""') or "gd_bind=;" in c for c in cookies)
    assert platform.bindings.account_for(CLAIMS[persona]["sub"]) == USER_ID_CODES[persona]
    profile = page(await client.get("/profile"))
    assert profile.find("main")["data-page"] == "profile"
    assert profile.find(id="profile-document-type")["data-value"] == "40"
    number = PERMITS[persona]
    assert profile.find(id="profile-document-number").get_text() == f"{number[:3]}****{number[-2:]}"
    assert profile.find(id="profile-level")["data-value"] == "L2"
    assert number not in profile.get_text()


async def test_profile_shows_the_simplified_name_and_the_weaker_level(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung", acr="L1")
    await submit(client, "H12345678")
    profile = page(await client.get("/", params={"lang": "en"}))
    assert profile.find(id="profile-name").get_text() == "黄咏峰"
    assert profile.find(id="profile-level")["data-value"] == "L1"
    assert "Level 3 (L1)" in profile.find(id="profile-level").get_text()


async def test_malformed_number_is_explained_and_not_counted(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    for _ in range(platform.config.binding_attempts + 1):
        response = await submit(client, "H1234")
        assert response.status_code == 400
    form = page(response)
    assert form.find("main")["data-error"] == "malformed"
    assert "H 或 M 开头，后接 8 位数字" in form.find(id="bind-error").get_text()
    assert form.find("input", id="permit_number")["aria-invalid"] == "true"
    assert (await submit(client, "H12345678")).status_code == 303


@pytest.mark.parametrize(
    ("persona", "number", "changes"),
    [
        ("chan-tai-man", "H99999999", {}),
        ("chan-tai-man", "H12345678", {}),
        ("wong-wing-fung", "H12345678", {"birthdate": "1990-01-02"}),
        ("wong-wing-fung", "H12345678", {"sex": "1"}),
        ("wong-wing-fung", "H12345678", {"name#zh-Hans": "黄咏锋"}),
        ("lau-chi-ming", "H87654321", {"name#en": "LAU, Chi Keung"}),
    ],
)
async def test_mismatch_or_unknown_permit_is_refused_without_revealing_the_account(
    client: httpx.AsyncClient,
    platform: GuangdongPlatform,
    persona: str,
    number: str,
    changes: dict[str, str],
) -> None:
    signed_in_with_iamsmart(platform, client, persona, **changes)
    response = await submit(client, number)
    assert response.status_code == 400
    form = page(response)
    assert form.find("main")["data-error"] == "no_match"  # unknown and mismatch alike
    message = form.find(id="bind-error").get_text()
    assert "与智方便提供的身份资料不符，或没有对应的广东账户" in message
    account = platform.accounts.by_permit_number(number)
    if account is not None:
        for value in (account.cn, account.birthday, account.en_name, account.telephonenumber):
            assert value not in response.text
    assert len(platform.bindings) == 0 and len(platform.sessions) == 0
    assert "gd_session" not in response.headers.get("set-cookie", "")


async def test_too_many_wrong_numbers_end_the_attempt(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in_with_iamsmart(platform, client, "chan-tai-man")
    for _ in range(platform.config.binding_attempts - 1):
        assert page(await submit(client, "H99999999")).find("main")["data-page"] == "bind"
    last = await submit(client, "H99999998")
    assert page(last).find("main")["data-error"] == "too_many"
    assert len(platform.pending_bindings) == 0
    assert page(await client.get("/bind")).find("main")["data-error"] == "expired"


async def test_missing_claims_send_the_resident_back_to_sign_in(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung", birthdate=None)
    response = await submit(client, "H12345678")
    assert page(response).find("main")["data-error"] == "missing_claims"
    assert page(response).find(id="try-again")["href"] == "/login/iamsmart"
    assert len(platform.bindings) == 0


@pytest.mark.parametrize("token", ["", "forged", None])
async def test_bind_without_the_forms_csrf_token_is_refused(
    client: httpx.AsyncClient, platform: GuangdongPlatform, token: str | None
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    data = {"permit_number": "H12345678"} | ({"csrf_token": token} if token is not None else {})
    response = await client.post("/bind", data=data)
    assert response.status_code == 400
    assert page(response).find("main")["data-error"] == "expired"
    assert len(platform.bindings) == 0


async def test_csrf_token_of_another_pending_binding_is_refused(
    client: httpx.AsyncClient, platform: GuangdongPlatform, server: RunningServer
) -> None:
    async with httpx.AsyncClient(base_url=server.url, verify=TRUSTED) as attacker:
        signed_in_with_iamsmart(platform, attacker, "cheung-ka-yan")
        form = page(await attacker.get("/bind"))
        token = form.find("input", attrs={"name": "csrf_token"})["value"]
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    response = await client.post("/bind", data={"csrf_token": token, "permit_number": "H12345678"})
    assert response.status_code == 400 and len(platform.bindings) == 0


async def test_bind_page_without_a_pending_sign_in_offers_to_sign_in(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/bind")
    assert page(response).find("main")["data-error"] == "expired"
    assert page(response).find(id="try-again")["href"] == "/login/iamsmart"


async def test_binding_expires(
    client: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    form = page(await client.get("/bind"))
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    clock.advance(601)
    response = await client.post("/bind", data={"csrf_token": token, "permit_number": "H12345678"})
    assert page(response).find("main")["data-error"] == "expired"


# --- portal authorization resumed after binding ---------------------------------------


async def test_portal_authorization_resumes_after_binding(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    authorize = await client.get(
        "/tif/sso/connect/page/oauth2/authorize",
        params={
            "client_id": PORTAL_ID,
            "redirect_uri": PORTAL_CALLBACK,
            "response_type": "code",
            "scope": "all",
            "service": "initService",
            "state": "p-1",
        },
    )
    href = page(authorize).find(id="iamsmart-login")["href"]
    resume = parse_qs(urlsplit(href).query)["resume"][0]
    signed_in_with_iamsmart(platform, client, "cheung-ka-yan", resume=resume)
    response = await submit(client, "H23456789")
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(PORTAL_CALLBACK + "?")
    query = parse_qs(urlsplit(location).query)
    assert query["state"] == ["p-1"]
    token = await client.get(
        "/tif/sso/connect/page/oauth2/access_token",
        params={
            "client_id": PORTAL_ID,
            "client_secret": PORTAL_SECRET,
            "code": query["code"][0],
            "grant_type": "authorization_code",
            "redirect_uri": PORTAL_CALLBACK,
            "scope": "all",
        },
    )
    info = await client.get(
        "/tif/sso/connect/page/oauth2/tokeninfo",
        params={"access_token": token.json()["access_token"]},
    )
    assert info.json()["userobj"]["useridcode"] == USER_ID_CODES["cheung-ka-yan"]


# --- home, profile, logout, unbind ----------------------------------------------------


async def bound_and_signed_in(client: httpx.AsyncClient, platform: GuangdongPlatform) -> None:
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    assert (await submit(client, "H12345678")).status_code == 303


async def test_home_shows_login_when_signed_out_and_profile_when_signed_in(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    home = page(await client.get("/"))
    assert home.find("main")["data-page"] == "login"
    button = home.find(id="iamsmart-login")
    assert button.get_text() == "智方便 iAM Smart" and button["href"] == "/login/iamsmart"
    await bound_and_signed_in(client, platform)
    assert page(await client.get("/")).find("main")["data-page"] == "profile"


async def test_profile_when_signed_out_goes_home(client: httpx.AsyncClient) -> None:
    response = await client.get("/profile")
    assert response.status_code == 303 and response.headers["location"] == "/"


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_logout_clears_the_session(
    client: httpx.AsyncClient, platform: GuangdongPlatform, method: str
) -> None:
    await bound_and_signed_in(client, platform)
    response = await client.request(method, "/logout")
    assert page(response).find("main")["data-page"] == "signed-out"
    assert len(platform.sessions) == 0
    assert (await client.get("/profile")).status_code == 303
    assert len(platform.bindings) == 1  # signing out is not unbinding


async def test_session_expires(
    client: httpx.AsyncClient, platform: GuangdongPlatform, clock: ManualClock
) -> None:
    await bound_and_signed_in(client, platform)
    clock.advance(1801)
    assert (await client.get("/profile")).status_code == 303


async def test_unbind_removes_the_binding_and_signs_out(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    await bound_and_signed_in(client, platform)
    form = page(await client.get("/profile")).find("form", attrs={"action": "/unbind"})
    token = form.find("input", attrs={"name": "csrf_token"})["value"]
    assert (await client.post("/unbind", data={"csrf_token": "forged"})).status_code == 303
    assert len(platform.bindings) == 1
    response = await client.post("/unbind", data={"csrf_token": token})
    assert response.status_code == 303
    assert len(platform.bindings) == 0 and len(platform.sessions) == 0


async def test_test_control_clears_bindings(
    client: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    await bound_and_signed_in(client, platform)
    assert (await client.delete("/__test__/bindings")).status_code == 204
    assert len(platform.bindings) == 0


async def test_test_control_is_absent_unless_enabled(clock: ManualClock) -> None:
    sock = bind_loopback()
    app = create_app(make_config(url_of(sock), test_controls=False), clock=clock.now)
    with serving(app, sock) as running:
        async with httpx.AsyncClient(base_url=running.url, verify=TRUSTED) as http:
            response = await http.delete("/__test__/bindings")
    assert response.status_code == 404, "no such route at all"


# --- language --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "headers", "lang"),
    [
        ({}, {}, "zh-Hans"),
        ({}, {"accept-language": "en-GB,en;q=0.9"}, "en"),
        ({}, {"accept-language": "zh-TW"}, "zh-Hant"),
        ({}, {"accept-language": "fr, zh-HK;q=0.5"}, "zh-Hant"),
        ({}, {"accept-language": "zh-CN,zh-HK;q=0.9"}, "zh-Hans"),
        ({"lang": "zh-Hant"}, {"accept-language": "en"}, "zh-Hant"),
        ({"lang": "xx"}, {"accept-language": "en"}, "en"),
    ],
)
async def test_page_language_negotiation(
    client: httpx.AsyncClient, params: dict[str, str], headers: dict[str, str], lang: str
) -> None:
    response = await client.get("/", params=params, headers=headers)
    assert page(response).find("html")["lang"] == lang


async def test_chosen_language_is_remembered(client: httpx.AsyncClient) -> None:
    await client.get("/", params={"lang": "en"})
    response = await client.get("/", headers={"accept-language": "zh-CN"})
    assert page(response).find("html")["lang"] == "en"
    assert "Sign in with iAM Smart" in response.text


def test_every_locale_has_every_string() -> None:
    catalog = load_catalog()
    reference = catalog.keys("zh-Hans")
    for locale in LOCALES:
        assert catalog.keys(locale) == reference, locale


# --- configuration ---------------------------------------------------------------------


def test_shipped_config_loads_with_environment_overrides() -> None:
    config = load_config(
        env={
            "GUANGDONG_PUBLIC_URL": "http://localhost:8002/",
            "BRIDGE_ISSUER": "http://localhost:8000",
            "BRIDGE_INTERNAL_URL": "http://bridge:8000",
            "GUANGDONG_PORTAL_REDIRECT_URI": "http://localhost:8003/cb",
        }
    )
    assert config.public_url == "http://localhost:8002"
    assert config.oidc_redirect_uri == "http://localhost:8002/oidc/callback"
    assert config.bridge.internal_url == "http://bridge:8000"
    assert config.bridge.client_id == "gd-platform-dev"
    assert config.portal_clients[0].redirect_uris == ("http://localhost:8003/cb",)
    assert not config.test_controls
    assert config.uses_development_secrets()
    assert Path(config.accounts_file).name == "accounts.yaml"


def test_shipped_config_defaults() -> None:
    config = load_config(env={})
    assert config.public_url == "http://127.0.0.1:8002"
    assert config.bridge.issuer == "http://127.0.0.1:8000" and config.bridge.internal_url == ""


@pytest.mark.parametrize(
    "changes",
    [{"session_secret": "short"}, {"public_url": "ftp://x"}, {"unexpected": 1}],
)
def test_invalid_config_is_refused(changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        make_config("http://127.0.0.1:8002", **changes)


async def test_binding_logs_no_personal_data(
    client: httpx.AsyncClient, platform: GuangdongPlatform, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    signed_in_with_iamsmart(platform, client, "wong-wing-fung")
    await submit(client, "H23456789")
    await submit(client, "H12345678")
    assert caplog.records, "the binding steps are logged"
    claims = CLAIMS["wong-wing-fung"]
    for value in ("H23456789", "H12345678", "黄咏峰", "1990-01-01", claims["sub"], "WONG"):
        assert value not in caplog.text


def test_main_has_the_documented_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    usage = capsys.readouterr().out
    for option in ("--host", "--port", "--config"):
        assert option in usage
