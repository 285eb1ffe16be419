"""iAM Smart on the resident's own phone: the bridge asks first (iAM Smart's rule that
a request to it starts only once the resident pressed its button), the mock iAM Smart
shows its broker page with the fixed button texts and never a QR code to scan, and the
simulated app approves and returns to the browser."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.flows.conftest import Chain
from tests.flows.kiosk_support import Kiosk, answer, confirm_page
from tests.flows.steps import choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import RelyingParty

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
QR_WORDS = ("QR", "scan", "Scan", "二維碼", "二维码", "掃描", "扫描")


@pytest.fixture
def phone() -> Iterator[Resident]:
    person = Resident(user_agent=IPHONE)
    yield person
    person.close()


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_the_bridge_asks_before_iamsmart_and_offers_another_device(
    chain: Chain, phone: Resident
) -> None:
    asked = phone.open(RelyingParty(chain.bridge).authorization_request().url)
    assert asked.html.select_one("#continue-same-device").get_text(strip=True) == (
        "Continue with iAM Smart"
    )
    assert asked.html.select_one("#use-other-device").get_text(strip=True) == (
        "Use iAM Smart on another device"
    )
    assert chain.iamsmart_state.calls["getQR"] == 0
    other = phone.open(chain.bridge + str(asked.html.select_one("#use-other-device")["href"]))
    assert query(other.url)["source"] == "PC_Browser" and "brokerPage" not in query(other.url)
    assert other.html.select_one("[data-ticket]") is not None  # the QR page, for a second device


def test_same_phone_sign_in_through_the_broker_page_and_the_app(
    chain: Chain, phone: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request(ui_locales="en")
    asked = phone.open(request.url)
    broker = phone.open(chain.bridge + str(asked.html.select_one("#continue-same-device")["href"]))
    assert query(broker.url)["source"] == "iOS_Safari" and query(broker.url)["brokerPage"] == "true"
    assert broker.html.select_one("#open-app").get_text(strip=True) == "Open iAM Smart"
    assert broker.html.select_one("h1").get_text(strip=True) == "Continue with iAM Smart"
    assert broker.html.select_one("#more-info").get_text(strip=True) == "More info"
    assert not any(word in broker.text for word in QR_WORDS)
    app = phone.open(chain.iamsmart + str(broker.html.select_one("#open-app")["href"]))
    assert not any(word in app.text for word in QR_WORDS)
    stopped = consent(phone, choose(phone, app, "wong-wing-fung"), "allow", stop_at=rp.redirect_uri)
    tokens = rp.redeem(location_query(stopped)["code"], request.verifier)
    assert tokens.status_code == 200, tokens.text


@pytest.mark.parametrize(
    ("lang", "open_app", "more_info"),
    [("zh-HK", "開啟智方便", "更多資訊"), ("zh-CN", "打开智方便", "更多信息")],
)
def test_the_broker_page_uses_iamsmarts_fixed_texts_in_chinese(
    chain: Chain, lang: str, open_app: str, more_info: str
) -> None:
    phone = Resident(user_agent=ANDROID)
    rp = RelyingParty(chain.bridge)
    asked = phone.open(rp.authorization_request(ui_locales=lang).url)
    broker = phone.open(chain.bridge + str(asked.html.select_one("#continue-same-device")["href"]))
    phone.close()
    assert query(broker.url)["source"] == "Android_Chrome"
    assert broker.html.select_one("#open-app").get_text(strip=True) == open_app
    assert broker.html.select_one("#more-info").get_text(strip=True) == more_info
    assert not any(word in broker.text for word in QR_WORDS)


@pytest.mark.parametrize("action", ["reject", "cancel", "timeout"])
def test_what_the_resident_does_in_the_app_reaches_the_client(
    chain: Chain, phone: Resident, action: str
) -> None:
    rp = RelyingParty(chain.bridge)
    asked = phone.open(rp.authorization_request().url)
    broker = phone.open(chain.bridge + str(asked.html.select_one("#continue-same-device")["href"]))
    app = phone.open(chain.iamsmart + str(broker.html.select_one("#open-app")["href"]))
    stopped = choose(phone, app, "wong-wing-fung", action, stop_at=rp.redirect_uri)
    assert location_query(stopped)["error"] in ("access_denied", "login_required"), stopped.url


def test_the_same_device_page_belongs_to_the_browser_that_started(
    chain: Chain, phone: Resident
) -> None:
    asked = phone.open(RelyingParty(chain.bridge).authorization_request().url)
    thief = Resident(user_agent=IPHONE)
    page = thief.open(asked.url)
    thief.close()
    assert page.status == 400 and "started in another browser" in page.text
    assert chain.iamsmart_state.calls["getQR"] == 0


def test_a_kiosk_sign_in_on_the_same_phone(chain: Chain, phone: Resident) -> None:
    kiosk = Kiosk(chain.bridge)
    started = kiosk.started()
    asked = answer(phone, confirm_page(phone, started), "approve")
    broker = phone.open(chain.bridge + str(asked.html.select_one("#continue-same-device")["href"]))
    app = phone.open(chain.iamsmart + str(broker.html.select_one("#open-app")["href"]))
    done = consent(phone, choose(phone, app, "wong-wing-fung"), "allow")
    assert "/device/done" in done.url
    chain.bridge_clock.advance(5)
    assert kiosk.poll(started["device_code"]).status_code == 200
