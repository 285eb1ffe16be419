"""getQR from a phone with brokerPage=true: the broker page with iAM Smart's fixed
texts and an "app" step standing in for the iAM Smart app (docs/protocols.md §1.2, §4.1)."""

from __future__ import annotations

import httpx
import pytest

from tests.mock_idps.iamsmart.harness import PERSONAS, RunningMock, attr, first, get_qr_url, html

QR_WORDS = ("QR", "scan", "二維碼", "二维码", "掃描", "扫描")


@pytest.mark.parametrize(
    ("lang", "open_app", "more_info"),
    [
        ("en-US", "Open iAM Smart", "More info"),
        ("zh-HK", "開啟智方便", "更多資訊"),
        ("zh-CN", "打开智方便", "更多信息"),
    ],
)
@pytest.mark.parametrize("source", ["iOS_Safari", "Android_Chrome"])
async def test_a_phone_with_the_broker_page_never_sees_a_qr_code(
    http: httpx.AsyncClient,
    mock: RunningMock,
    source: str,
    lang: str,
    open_app: str,
    more_info: str,
) -> None:
    page = await http.get(get_qr_url(mock.url, source=source, brokerPage="true", lang=lang))
    soup = html(page)
    assert page.status_code == 200
    assert first(soup, "#open-app").get_text(strip=True) == open_app
    assert first(soup, "#more-info").get_text(strip=True) == more_info
    assert attr(first(soup, "#more-info"), "href").startswith("https://www.iamsmart.gov.hk/")
    assert not soup.select("[data-ticket]") and not soup.select("form")
    assert not any(word in soup.get_text() for word in QR_WORDS)


async def test_the_app_step_decides_like_the_qr_page(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    broker = html(await http.get(get_qr_url(mock.url, source="iOS_Safari", brokerPage="true")))
    app = await http.get(mock.url + attr(first(broker, "#open-app"), "href"))
    soup = html(app)
    forms = soup.select("form")
    assert [attr(first(f, 'input[name="persona"]'), "value") for f in forms] == list(PERSONAS)
    assert not any(word in soup.get_text() for word in QR_WORDS)
    action = attr(forms[0], "action")
    persona = attr(first(forms[0], 'input[name="persona"]'), "value")
    decided = await http.post(mock.url + action, data={"persona": persona, "action": "approve"})
    assert decided.status_code == 302 and "code=" in decided.headers["location"]
    again = await http.get(mock.url + attr(first(broker, "#open-app"), "href"))
    assert attr(first(html(again), "[data-error-code]"), "data-error-code") == "D20032"


async def test_an_unknown_app_ticket_is_expired(http: httpx.AsyncClient, mock: RunningMock) -> None:
    page = await http.get(f"{mock.url}/api/v1/auth/app/no-such-ticket")
    assert attr(first(html(page), "[data-error-code]"), "data-error-code") == "D20031"


async def test_a_phone_without_the_broker_page_gets_the_qr_page(
    http: httpx.AsyncClient, mock: RunningMock
) -> None:
    page = html(await http.get(get_qr_url(mock.url, source="iOS_Safari", brokerPage="false")))
    assert page.select("[data-ticket]")
