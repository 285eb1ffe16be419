"""getQR, the QR page and the resident's decisions (docs/protocols.md §1.4, §1.5, §4.1)."""

from __future__ import annotations

import re

import httpx
import pytest

from bridge.clock import ManualClock
from tests.mock_idps.iamsmart.harness import (
    PERSONAS,
    REDIRECT_URI,
    RunningMock,
    attr,
    first,
    form_action,
    get_qr_url,
    html,
    sign_in,
)


def _error_code(page: httpx.Response) -> str:
    return attr(first(html(page), "[data-error-code]"), "data-error-code")


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"responseType": None}, "D20001"),
        ({"responseType": "token"}, "D20003"),
        ({"clientID": None}, "D20001"),
        ({"clientID": ""}, "D20002"),
        ({"clientID": "no-such-service"}, "D20018"),
        ({"redirectURI": None}, "D20001"),
        ({"redirectURI": "https://evil.test/callback/iamsmart"}, "D20008"),
        ({"redirectURI": REDIRECT_URI + "/"}, "D20008"),
        ({"scope": None}, "D20001"),
        ({"scope": "eidapi_auth eidapi_sign"}, "D20012"),
        ({"scope": "EIDAPI_AUTH"}, "D20012"),
        ({"source": None}, "D20001"),
        ({"source": "Windows_Phone"}, "D20007"),
        ({"source": "App_Scheme"}, "D20007"),
        ({"state": "x" * 37}, "D20003"),
        ({"state": "has space"}, "D20003"),
        ({"state": "ünicode"}, "D20003"),
        ({"lang": "fr-FR"}, "D20003"),
        ({"brokerPage": "yes"}, "D20003"),
    ],
)
async def test_invalid_get_qr_shows_an_error_page_with_its_d_code(
    http: httpx.AsyncClient, mock: RunningMock, overrides: dict[str, str | None], code: str
) -> None:
    page = await http.get(get_qr_url(mock.url, **overrides))
    assert page.status_code == 400
    assert "location" not in page.headers
    assert _error_code(page) == code


async def test_repeated_parameter_is_invalid_with_D20003(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    page = await http.get(get_qr_url(mock.url) + "&clientID=other-service")
    assert _error_code(page) == "D20003"


async def test_unregistered_redirect_uri_is_never_redirected_to(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    evil = "https://evil.test/steal"
    page = await http.get(get_qr_url(mock.url, redirectURI=evil))
    assert page.status_code == 400
    assert "location" not in page.headers
    soup = html(page)
    assert not soup.select("form")
    assert all(evil not in str(a.get("href")) for a in soup.select("a"))


async def test_qr_page_offers_every_persona_four_labelled_form_buttons(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    page = await http.get(get_qr_url(mock.url))
    soup = html(page)
    assert page.status_code == 200
    assert attr(first(soup, "html"), "lang") == "en-US"
    assert not soup.select("script")
    forms = soup.select("form")
    assert [attr(first(f, 'input[name="persona"]'), "value") for f in forms] == list(PERSONAS)
    for form in forms:
        assert attr(form, "method") == "post"
        assert first(form, "legend").get_text(strip=True)
        buttons = {attr(b, "value"): b.get_text(strip=True) for b in form.select("button")}
        assert buttons == {
            "approve": "Approve",
            "reject": "Reject",
            "cancel": "Cancel",
            "timeout": "Time out",
        }


@pytest.mark.parametrize(
    ("lang", "approve"),
    [("zh-HK", "批准"), ("zh-CN", "批准"), ("en-US", "Approve"), (None, "批准")],
)
async def test_qr_page_speaks_the_requested_lang_and_defaults_to_zh_hk(
    http: httpx.AsyncClient, mock: RunningMock, lang: str | None, approve: str
) -> None:
    page = await http.get(get_qr_url(mock.url, lang=lang))
    soup = html(page)
    assert attr(first(soup, "html"), "lang") == (lang or "zh-HK")
    assert first(soup, 'button[value="approve"]').get_text(strip=True) == approve


async def test_zh_cn_page_is_in_simplified_characters(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    page = await http.get(get_qr_url(mock.url, lang="zh-CN"))
    assert "登录" in page.text and "登入" not in page.text


async def test_approve_redirects_with_a_32_hex_code_and_the_state(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    query = await sign_in(http, get_qr_url(mock.url, state="flow_state-1"), "wong-wing-fung")
    assert query["_location"].startswith(REDIRECT_URI + "?")
    assert re.fullmatch(r"[0-9a-f]{32}", query["code"])
    assert query["state"] == "flow_state-1"
    assert "error_code" not in query


@pytest.mark.parametrize(
    ("action", "code"), [("reject", "D40001"), ("cancel", "D40000"), ("timeout", "D40003")]
)
async def test_declining_redirects_with_the_error_code_and_state_but_no_code(
    http: httpx.AsyncClient, mock: RunningMock, action: str, code: str
) -> None:
    query = await sign_in(http, get_qr_url(mock.url, state="abc"), "lau-chi-ming", action)
    assert query["error_code"] == code
    assert query["state"] == "abc"
    assert "code" not in query


async def test_without_state_the_callback_carries_none(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    query = await sign_in(http, get_qr_url(mock.url, state=None), "chan-tai-man")
    assert set(query) == {"code", "_location"}


async def test_a_qr_ticket_is_used_once_then_D20032(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    page = await http.get(get_qr_url(mock.url))
    url = form_action(page)
    first = await http.post(url, data={"persona": "wong-wing-fung", "action": "approve"})
    again = await http.post(url, data={"persona": "wong-wing-fung", "action": "approve"})
    assert first.status_code == 302
    assert again.status_code == 400 and _error_code(again) == "D20032"


async def test_an_unknown_qr_ticket_is_D20031(http: httpx.AsyncClient, mock: RunningMock) -> None:
    page = await http.post(
        mock.url + "/api/v1/auth/qr/" + "0" * 32,
        data={"persona": "wong-wing-fung", "action": "approve"},
    )
    assert page.status_code == 400 and _error_code(page) == "D20031"


async def test_an_expired_qr_ticket_returns_the_resident_with_D40003(
    http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    page = await http.get(get_qr_url(mock.url, state="late"))
    url = form_action(page)
    clock.advance(301)
    answer = await http.post(url, data={"persona": "wong-wing-fung", "action": "approve"})
    assert answer.status_code == 302
    assert answer.headers["location"] == REDIRECT_URI + "?error_code=D40003&state=late"


@pytest.mark.parametrize(
    "form",
    [{"persona": "nobody", "action": "approve"}, {"persona": "lau-chi-ming", "action": "steal"}],
)
async def test_an_unknown_persona_or_action_is_D20003(
    http: httpx.AsyncClient, mock: RunningMock, form: dict[str, str]
) -> None:
    page = await http.get(get_qr_url(mock.url))
    url = form_action(page)
    answer = await http.post(url, data=form)
    assert answer.status_code == 400 and _error_code(answer) == "D20003"


async def test_approving_cheung_ka_yan_advances_her_last_modified_date(
    http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    before = mock.state.last_modified["cheung-ka-yan"]
    await sign_in(http, get_qr_url(mock.url), "cheung-ka-yan")
    assert mock.state.last_modified["cheung-ka-yan"] == int(clock.now() * 1000) > before
    wong = mock.state.last_modified["wong-wing-fung"]
    await sign_in(http, get_qr_url(mock.url), "wong-wing-fung")
    assert mock.state.last_modified["wong-wing-fung"] == wong
