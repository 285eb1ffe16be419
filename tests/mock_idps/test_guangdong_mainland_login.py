"""The platform as an identity provider for Mainland residents: its own login at the tif
authorize, played by the Mainland personas, for the bridge and for portals, over HTTP.
"""

# The fixtures are imported to be shared, and test parameters reuse their names by design.
# ruff: noqa: F811
from __future__ import annotations

import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from mock_idps.guangdong.state import GuangdongPlatform
from mock_idps.guangdong.web import platform_login_token
from tests.mock_idps.guangdong_support import (
    MAINLAND_USERIDCODES,
    MAINLAND_USEROBJ,
    PORTAL_ID,
    UPSTREAM_CALLBACK,
    UPSTREAM_ID,
    USER_ID_CODES,
    platform_sign_in,
    query_of,
)
from tests.mock_idps.guangdong_tif import (  # noqa: F401 - fixtures
    ACCESS_TOKEN,
    IAMSMART_ONLY,
    PORTAL_CALLBACK,
    TOKENINFO,
    authorize_url,
    browser,
    clock,
    code_for,
    page,
    platform,
    server,
    token_query,
)
from tests.support.servers import RunningServer

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
