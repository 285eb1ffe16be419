"""The platform as an identity provider for Mainland residents: its own login at the tif
authorize (played by the Mainland personas), and how `access_token` and `tokeninfo`
refuse a tif client — the bridge, registered as `gba-bridge-dev` — over HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup
from pydantic import ValidationError

from bridge.clock import ManualClock
from mock_idps.guangdong import create_app, load_config
from mock_idps.guangdong.accounts import Account, id_card_number_valid
from mock_idps.guangdong.state import GuangdongPlatform
from mock_idps.guangdong.web import platform_login_token
from tests.mock_idps.guangdong_support import (
    MAINLAND_USERIDCODES,
    MAINLAND_USEROBJ,
    PORTAL_ID,
    PORTAL_SECRET,
    UPSTREAM_CALLBACK,
    UPSTREAM_ID,
    UPSTREAM_SECRET,
    USER_ID_CODES,
    make_config,
    platform_sign_in,
    query_of,
)
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

PORTAL_CALLBACK = "http://127.0.0.1:8003/callback"
PERSONAS_DOC = Path(__file__).resolve().parents[2] / "docs/personas.md"
AUTHORIZE = "/tif/sso/connect/page/oauth2/authorize"
ACCESS_TOKEN = "/tif/sso/connect/page/oauth2/access_token"
TOKENINFO = "/tif/sso/connect/page/oauth2/tokeninfo"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(start=1_800_000_000.0)


IAMSMART_ONLY = "hk-residents-portal"


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
    async with httpx.AsyncClient(base_url=server.url, follow_redirects=False) as http:
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


# --- the login page --------------------------------------------------------------------


async def test_the_bridge_is_offered_the_mainland_personas_and_never_iamsmart(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get(authorize_url())
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    html = page(response)
    assert html.find("html")["lang"] == "zh-Hans"
    assert html.find(id="iamsmart-login") is None
    assert html.find(id="login-iamsmart-section") is None
    assert "GBA identity bridge" in html.find(id="login-portal").get_text()
    forms = html.select("#login-platform form")
    assert [f["data-persona"] for f in forms] == list(MAINLAND_USERIDCODES)
    for form in forms:
        assert form["method"] == "post" and form["action"] == "/login/platform"
        buttons = {b["value"]: b.get_text() for b in form.find_all("button")}
        assert buttons == {"sign_in": "登录", "cancel": "取消"}
    legend = forms[0].find("legend").get_text()
    assert "陈发明" in legend and "四级（L2）" in legend


async def test_a_portal_is_offered_both_iamsmart_and_the_platform_login(
    browser: httpx.AsyncClient,
) -> None:
    html = page(await browser.get(authorize_url(PORTAL_ID)))
    assert str(html.find(id="iamsmart-login")["href"]).startswith("/login/iamsmart?resume=")
    assert len(html.select("#login-platform form")) == len(MAINLAND_USERIDCODES)


@pytest.mark.parametrize(
    ("lang", "sign_in", "heading"),
    [("en", "Sign in", "Mainland residents"), ("zh-Hant", "登入", "內地居民")],
)
async def test_the_login_page_speaks_each_language(
    browser: httpx.AsyncClient, lang: str, sign_in: str, heading: str
) -> None:
    html = page(await browser.get(authorize_url()))
    switch = html.find("nav", class_="lang").find("a", attrs={"lang": lang})
    translated = page(await browser.get(str(switch["href"])))
    assert translated.find("html")["lang"] == lang
    assert translated.find(id="login-platform-heading").get_text() == heading
    assert translated.select_one("#login-platform button[value=sign_in]").get_text() == sign_in


async def test_the_home_page_offers_only_iamsmart(browser: httpx.AsyncClient) -> None:
    html = page(await browser.get("/"))
    assert html.find(id="iamsmart-login") is not None
    assert html.find(id="login-platform") is None


# --- sign in and cancel ----------------------------------------------------------------


async def test_sign_in_sends_the_browser_back_with_a_code_and_the_state(
    browser: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    answer = await platform_sign_in(browser, authorize_url(), "chen-fa-ming")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(UPSTREAM_CALLBACK + "?")
    query = query_of(location)
    assert set(query) == {"code", "state"} and query["state"] == "bridge-state-1"
    assert uuid.UUID(query["code"]).version == 4
    session_cookie = next(
        c for c in answer.headers.get_list("set-cookie") if c.startswith("gd_session=")
    )
    assert "HttpOnly" in session_cookie
    assert len(platform.sessions) == 1 and len(platform.portal_requests) == 0


@pytest.mark.parametrize("persona", sorted(MAINLAND_USEROBJ))
async def test_each_mainland_persona_gets_their_userobj(
    browser: httpx.AsyncClient, persona: str
) -> None:
    code = await code_for(browser, persona)
    token = await browser.get(ACCESS_TOKEN, params=token_query(code))
    assert token.status_code == 200
    body = token.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}  # no refresh, no id_token
    info = (await browser.get(TOKENINFO, params={"access_token": body["access_token"]})).json()
    assert info["errcode"] == 0
    assert info["userobj"] == MAINLAND_USEROBJ[persona]


async def test_the_code_is_also_redeemed_by_form_post(browser: httpx.AsyncClient) -> None:
    response = await browser.post(ACCESS_TOKEN, data=token_query(await code_for(browser)))
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


async def test_cancel_sends_the_browser_back_with_access_denied_and_the_state(
    browser: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    answer = await platform_sign_in(browser, authorize_url(), "chen-fa-ming", action="cancel")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(UPSTREAM_CALLBACK + "?")
    assert query_of(location) == {"error": "access_denied", "state": "bridge-state-1"}
    assert len(platform.sessions) == 0 and len(platform.portal.codes) == 0
    assert "gd_session" not in answer.headers.get("set-cookie", "")


async def test_cancel_without_a_state_sends_only_the_error(browser: httpx.AsyncClient) -> None:
    answer = await platform_sign_in(
        browser, authorize_url(state=None), "chen-fa-ming", action="cancel"
    )
    assert query_of(answer.headers["location"]) == {"error": "access_denied"}


async def form_of(browser: httpx.AsyncClient, persona: str = "chen-fa-ming") -> dict[str, str]:
    html = page(await browser.get(authorize_url()))
    form = html.find("form", attrs={"data-persona": persona})
    return {str(i["name"]): str(i["value"]) for i in form.find_all("input")}


@pytest.mark.parametrize(
    "changes",
    [{"csrf_token": "0" * 64}, {"csrf_token": ""}, {"resume": "unknown"}, {"resume": ""}],
)
async def test_a_forged_form_gets_a_page_never_a_redirect(
    browser: httpx.AsyncClient, platform: GuangdongPlatform, changes: dict[str, str]
) -> None:
    form = {**await form_of(browser), **changes, "action": "sign_in"}
    answer = await browser.post("/login/platform", data=form)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert page(answer).find("main")["data-error"] == "expired"
    assert page(answer).find(id="try-again") is None
    assert len(platform.sessions) == 0


async def test_a_form_from_another_browser_is_refused(
    server: RunningServer, browser: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    form = {**await form_of(browser), "action": "sign_in"}
    async with httpx.AsyncClient(base_url=server.url) as other:
        answer = await other.post("/login/platform", data=form)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert len(platform.sessions) == 0


async def test_a_client_without_the_platform_login_gets_no_personas_and_takes_none(
    browser: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    html = page(await browser.get(authorize_url(IAMSMART_ONLY, redirect_uri=PORTAL_CALLBACK)))
    assert html.find(id="login-platform") is None and html.find(id="iamsmart-login") is not None
    resume = parse_qs(urlsplit(str(html.find(id="iamsmart-login")["href"])).query)["resume"][0]
    # Even a form with a valid token (only the server could make one) is refused.
    token = platform_login_token(platform, resume, browser.cookies["gd_login"])
    form = {"resume": resume, "csrf_token": token, "persona": "chen-fa-ming", "action": "sign_in"}
    answer = await browser.post("/login/platform", data=form)
    assert answer.status_code == 400 and "location" not in answer.headers
    assert len(platform.sessions) == 0


@pytest.mark.parametrize(
    "changes", [{"persona": "wong-wing-fung"}, {"persona": "nobody"}, {"action": "approve"}]
)
async def test_an_unknown_persona_or_action_ends_the_attempt(
    browser: httpx.AsyncClient, platform: GuangdongPlatform, changes: dict[str, str]
) -> None:
    form = {**await form_of(browser), "action": "sign_in", **changes}
    answer = await browser.post("/login/platform", data=form)
    assert answer.status_code == 400 and page(answer).find("main")["data-error"] == "failed"
    assert len(platform.sessions) == 0 and len(platform.portal_requests) == 0


async def test_a_login_form_is_used_once(browser: httpx.AsyncClient) -> None:
    form = {**await form_of(browser), "action": "sign_in"}
    assert (await browser.post("/login/platform", data=form)).status_code == 303
    again = await browser.post("/login/platform", data=form)
    assert again.status_code == 400 and page(again).find("main")["data-error"] == "expired"


async def test_the_platform_session_answers_the_next_request_at_once(
    browser: httpx.AsyncClient,
) -> None:
    await code_for(browser)
    again = await browser.get(authorize_url(state="second"))
    assert again.status_code == 302
    query = query_of(again.headers["location"])
    assert query["state"] == "second"
    token = await browser.get(ACCESS_TOKEN, params=token_query(query["code"]))
    info = await browser.get(TOKENINFO, params={"access_token": token.json()["access_token"]})
    assert info.json()["userobj"]["useridcode"] == MAINLAND_USERIDCODES["chen-fa-ming"]


async def test_an_iamsmart_session_is_never_handed_to_the_bridge(
    browser: httpx.AsyncClient, platform: GuangdongPlatform
) -> None:
    account = platform.accounts.by_useridcode(USER_ID_CODES["wong-wing-fung"])
    assert account is not None
    browser.cookies.set("gd_session", platform.sign_in(account, "L2", "pairwise-wong"))
    response = await browser.get(authorize_url())
    assert response.status_code == 200 and page(response).find(id="login-platform") is not None
    assert len(platform.portal.codes) == 0
    # ...while a portal that offers iAM Smart gets its code from the same session.
    portal = await browser.get(authorize_url(PORTAL_ID))
    assert portal.status_code == 302 and "code" in query_of(portal.headers["location"])


async def test_the_iamsmart_sign_in_drops_a_request_of_the_bridge(
    browser: httpx.AsyncClient,
) -> None:
    # The bridge named in the configuration is not running: the sign-in stops at once,
    # and its "try again" link shows which request it would have resumed.
    for client_id, resumed in ((UPSTREAM_ID, False), (PORTAL_ID, True)):
        html = page(await browser.get(authorize_url(client_id)))
        resume = str(html.find("input", attrs={"name": "resume"})["value"])
        failed = page(await browser.get("/login/iamsmart", params={"resume": resume}))
        assert failed.find("main")["data-error"] == "unavailable"
        href = str(failed.find(id="try-again")["href"])
        assert (f"resume={resume}" in href) is resumed, client_id


async def test_the_profile_after_the_platform_login_shows_the_id_card_and_no_unbinding(
    browser: httpx.AsyncClient,
) -> None:
    await code_for(browser, "liang-zhi-wei")
    html = page(await browser.get("/profile"))
    assert html.find(id="profile-via")["data-value"] == "platform"
    assert html.find(id="profile-document-type")["data-value"] == "10"
    assert html.find(id="profile-document-type").get_text() == "居民身份证"
    assert html.find(id="profile-document-number").get_text() == "440*************16"
    assert html.find(id="profile-level")["data-value"] == "L3"
    assert html.find("form", attrs={"action": "/unbind"}) is None


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


# --- configuration and the accounts file ----------------------------------------------


async def test_the_idcardtype_of_a_permit_holder_is_configurable() -> None:
    config = load_config(env={"GUANGDONG_PERMIT_IDCARDTYPE": "41"})
    assert config.document_codes.mainland_travel_permit == "41"
    assert config.document_codes.resident_id_card == "10"
    sock = bind_loopback()
    clock = ManualClock(start=1_800_000_000.0)
    tree = {"document_codes": {"mainland_travel_permit": "41"}}
    with serving(create_app(make_config(url_of(sock), **tree), clock=clock.now), sock) as running:
        platform: GuangdongPlatform = running.server.config.app.state.guangdong
        account = platform.accounts.by_useridcode(USER_ID_CODES["wong-wing-fung"])
        assert account is not None
        async with httpx.AsyncClient(base_url=running.url) as http:
            http.cookies.set("gd_session", platform.sign_in(account, "L2", "pairwise-wong"))
            answer = await http.get(authorize_url(PORTAL_ID))
            code = query_of(answer.headers["location"])["code"]
            params = token_query(
                code, client_id=PORTAL_ID, client_secret=PORTAL_SECRET, redirect_uri=PORTAL_CALLBACK
            )
            token = (await http.get(ACCESS_TOKEN, params=params)).json()["access_token"]
            info = (await http.get(TOKENINFO, params={"access_token": token})).json()
    assert info["userobj"]["idcardtype"] == "41"


def test_the_shipped_configuration_registers_the_bridge_without_iamsmart() -> None:
    config = load_config(env={"BRIDGE_ISSUER": "https://bridge.example"})
    client = config.portal_client("gba-bridge-dev")
    assert client is not None
    assert client.redirect_uris == ("https://bridge.example/callback/guangdong",)
    assert client.login_methods == ("platform",)
    assert client.client_secret.get_secret_value() == "dev-only-gd-upstream-secret-CHANGE-ME"
    assert config.uses_development_secrets()


def test_the_mainland_personas_match_docs_personas_md() -> None:
    rows = {}
    for line in PERSONAS_DOC.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 10 and cells[0].strip("`") in MAINLAND_USEROBJ:
            rows[cells[0].strip("`")] = cells
    assert set(rows) == set(MAINLAND_USEROBJ)
    for uid, (_, cn, level, isreal, sex, phone, mail, area, login, _) in rows.items():
        userobj = MAINLAND_USEROBJ[uid]
        assert (cn, level.split()[0], isreal.strip("*")) == (
            userobj["cn"],
            userobj["creditable_level_of_account"],
            userobj["isreal"],
        )
        assert (sex, phone, mail) == (userobj["sex"], userobj["telephonenumber"], userobj["mail"])
        assert f"area={area}" in userobj["extproperties"]
        assert f"accout_type={login.split()[0]}" in userobj["extproperties"]


def _account(**changes: Any) -> dict[str, Any]:
    return {
        **MAINLAND_USEROBJ["chen-fa-ming"],
        "extproperties": {"origin": "gdbs"},
        "document": "resident_id_card",
        **changes,
    }


def test_a_valid_account_is_accepted() -> None:
    tree = {k: v for k, v in _account().items() if k != "idcardtype" and k != "isreal"}
    assert Account.model_validate(tree).creditable_level_of_account == "L2"


@pytest.mark.parametrize(
    "changes",
    [
        {"idcardnumber": "440106199003071232"},  # wrong check digit
        {"creditable_level_of_account_way": "L3@GW@x"},  # higher than the account
        {"creditable_level_of_account_way": "L1@IDV@x"},  # the account's level missing
        {"creditable_level_of_account_way": "L2@YSS"},  # no code
        {"createtime": "2018-04-12"},
        {"document": "mainland_travel_permit", "idcardnumber": "H12345678"},  # no birthday
        {"useridcode": "48E6CC80DA711AF28B1AE849B274FFB8"},
    ],
)
def test_an_inconsistent_account_is_refused(changes: dict[str, Any]) -> None:
    tree = {k: v for k, v in _account(**changes).items() if k not in ("idcardtype", "isreal")}
    with pytest.raises(ValidationError):
        Account.model_validate(tree)


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("440106199003071231", True),
        ("11010519491231002X", True),  # GB 11643's own example
        ("440106199003071230", False),
        ("44010619900307123", False),
        ("H12345678", False),
    ],
)
def test_id_card_numbers_are_checked_by_their_check_digit(number: str, valid: bool) -> None:
    assert id_card_number_valid(number) is valid
