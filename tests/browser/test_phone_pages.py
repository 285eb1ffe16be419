"""Every resident page on a 390×844 phone, in a real browser (Chromium with is_mobile, a
touch screen and an iPhone's user agent), in each language: a kiosk sign-in from the
kiosk's QR link through the device page, iAM Smart on the same phone (the bridge's
button, the broker page, the simulated app) and consent, to "go back to the kiosk".

Each page must fit the width (no sideways scrolling), keep every header link and the
bridge's name on one line (wrapping between words, never inside one), stack labels
above values, and Traditional Chinese must be drawn with a Traditional Chinese font.
Screenshots go to test-artifacts/browser/phone-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bridge.i18n import HTML_LANG, translate
from mock_idps.iamsmart.catalog import strings
from tests.flows.conftest import Chain, running_chain
from tests.flows.kiosk_support import Kiosk

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WIDTH, HEIGHT = 390, 844
# bridge locale → (iAM Smart lang, persona, the font Traditional/Simplified text must use)
LANGUAGES = {
    "en": ("en-US", "wong-wing-fung", None),
    "zh-Hant": ("zh-HK", "cheung-ka-yan", "Noto Sans CJK HK"),
    "zh-Hans": ("zh-CN", "lau-chi-ming", "Noto Sans CJK SC"),
}


@pytest.fixture
def live_chain(tmp_path: Path, redis_url: str) -> Iterator[Chain]:
    with running_chain(tmp_path, redis_url) as chain:
        yield chain


@pytest.fixture
def phone(chromium: Browser) -> Iterator[BrowserContext]:
    ctx = chromium.new_context(
        viewport={"width": WIDTH, "height": HEIGHT},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
        user_agent=IPHONE,
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def check_layout(page: Page) -> None:
    """Fits the phone; header items never broken inside; labels stacked above values."""
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= WIDTH, f"{page.url} is {overflow}px wide"
    broken = page.evaluate(
        """[...document.querySelectorAll('header strong, header nav a')]
             .filter(e => e.getClientRects().length > 1).map(e => e.textContent)"""
    )
    assert broken == [], f"header items broken across lines on {page.url}: {broken}"
    side_by_side = page.evaluate(
        """[...document.querySelectorAll('dl > dt')].filter(dt => {
             const dd = dt.nextElementSibling;
             return dd && dd.getBoundingClientRect().top < dt.getBoundingClientRect().bottom;
           }).map(dt => dt.textContent)"""
    )
    assert side_by_side == [], f"labels beside their values on {page.url}: {side_by_side}"


def font_of(page: Page, selector: str) -> list[str]:
    """The fonts Chromium actually drew the element's text with (DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    cdp.detach()
    return [f["familyName"] for f in fonts]


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"phone-{name}.png"), full_page=True)


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_kiosk_sign_in_on_a_phone_with_iamsmart_on_the_same_phone(
    live_chain: Chain, phone: BrowserContext, artifacts: Path, locale: str
) -> None:
    iamsmart_lang, persona, font = LANGUAGES[locale]
    kiosk = Kiosk(live_chain.bridge)
    started = kiosk.started(scope="openid profile")
    page = phone.new_page()

    page.goto(f"{started['verification_uri_complete']}&lang={locale}")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translate(locale, "device_confirm_title")
    )
    expect(page.locator("#kiosk-name")).to_be_visible()
    check_layout(page)
    if font is not None:
        assert font in font_of(page, "h1"), font_of(page, "h1")
    shot(page, artifacts, f"{locale}-1-device-confirm")
    page.get_by_role("button", name=translate(locale, "device_approve")).click()

    # The bridge's own button: nothing has gone to iAM Smart yet
    continue_button = page.locator("#continue-same-device")
    expect(continue_button).to_be_visible()
    assert live_chain.iamsmart_state.calls["getQR"] == 0
    check_layout(page)
    shot(page, artifacts, f"{locale}-2-continue-with-iamsmart")
    continue_button.click()

    # Mock iAM Smart's broker page on the phone: its fixed texts, no QR code
    texts = strings(iamsmart_lang)
    expect(page.locator("html")).to_have_attribute("lang", iamsmart_lang)
    expect(page.locator("#open-app")).to_have_text(texts["open_app"])
    expect(page.locator("#more-info")).to_have_text(texts["more_info"])
    assert texts["qr_caption"] not in page.inner_text("body")
    check_layout(page)
    shot(page, artifacts, f"{locale}-3-iamsmart-broker")
    page.locator("#open-app").click()

    # The simulated app
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["app_title"])
    check_layout(page)
    shot(page, artifacts, f"{locale}-4-iamsmart-app")
    page.locator(f"form[data-persona='{persona}']").get_by_role(
        "button", name=texts["approve"]
    ).click()

    # Consent: never "remember" at a kiosk
    assert page.url.startswith(f"{live_chain.bridge}/consent/")
    expect(page.locator("#remember")).to_have_count(0)
    check_layout(page)
    if font is not None:
        assert font in font_of(page, "h1"), font_of(page, "h1")
    shot(page, artifacts, f"{locale}-5-consent")
    page.get_by_role("button", name=translate(locale, "consent_allow"), exact=True).click()

    expect(page.locator("#device-result")).to_have_text(translate(locale, "device_done"))
    check_layout(page)
    shot(page, artifacts, f"{locale}-6-back-to-the-kiosk")

    live_chain.bridge_clock.advance(5)
    assert kiosk.poll(started["device_code"]).status_code == 200


def test_typing_the_code_on_a_phone(
    live_chain: Chain, phone: BrowserContext, artifacts: Path
) -> None:
    started = Kiosk(live_chain.bridge).started()
    page = phone.new_page()
    page.goto(f"{live_chain.bridge}/device?lang=zh-Hant")
    check_layout(page)
    shot(page, artifacts, "zh-Hant-0-device-entry")
    page.get_by_label(translate("zh-Hant", "device_code_label")).fill(
        started["user_code"].lower().replace("-", "")
    )
    page.get_by_role("button", name=translate("zh-Hant", "device_entry_continue")).click()
    expect(page.locator("#kiosk-code")).to_have_text(started["user_code"])
    # Decline is the default: Enter in the form declines
    page.locator("button[value=decline]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#device-result")).to_have_text(translate("zh-Hant", "device_declined"))
    shot(page, artifacts, "zh-Hant-7-declined")
    response = httpx.post(
        f"{live_chain.bridge}/token",
        data={
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": started["device_code"],
        },
        auth=("test-kiosk", "test-kiosk-secret"),
    )
    assert response.json()["error"] == "access_denied"


@pytest.mark.parametrize("locale", sorted(LANGUAGES))
def test_the_other_resident_pages_fit_a_phone(
    live_chain: Chain, phone: BrowserContext, artifacts: Path, locale: str
) -> None:
    """The chooser, an error page, the consents sign-in page, the mock iAM Smart QR page
    for another device and the mock Guangdong platform's login, at 390 px."""
    page = phone.new_page()
    kiosk = Kiosk(live_chain.bridge, client_id="test-kiosk-gz", secret="test-kiosk-gz-secret")
    page.goto(f"{kiosk.started()['verification_uri_complete']}&lang={locale}")
    page.get_by_role("button", name=translate(locale, "device_approve")).click()
    expect(page.locator("#choose-guangdong")).to_be_visible()
    check_layout(page)
    shot(page, artifacts, f"{locale}-8-chooser")
    page.locator("#choose-iamsmart").click()
    page.locator("#use-other-device").click()  # the QR page, on a phone that chose it
    expect(page.locator("[data-ticket]")).to_be_visible()
    check_layout(page)
    shot(page, artifacts, f"{locale}-9-iamsmart-qr-other-device")

    page.goto(f"{live_chain.bridge}/device?user_code=BBBB-BBBB&lang={locale}")
    expect(page.get_by_role("alert")).to_have_text(translate(locale, "error_device_unknown"))
    check_layout(page)
    shot(page, artifacts, f"{locale}-10-error")

    page.goto(f"{live_chain.bridge}/consents?lang={locale}")
    check_layout(page)
    shot(page, artifacts, f"{locale}-11-consents")

    page.goto(f"{live_chain.guangdong}/?lang={locale}")
    check_layout(page)
    shot(page, artifacts, f"{locale}-12-guangdong-login")
