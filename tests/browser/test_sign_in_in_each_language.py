"""A resident signs in through the whole demo chain in a real browser — mock Guangdong
platform → bridge → mock iAM Smart → bridge consent → Guangdong binding — in English,
繁體中文 and 简体中文, by clicking what a person would click: the language switcher,
the iAM Smart button, Approve, Allow, the travel-permit field. Every page is in the
language chosen (its `lang` attribute and its words), and each step is saved as a
screenshot under test-artifacts/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from bridge.i18n import translate
from mock_idps.guangdong.i18n import load_catalog
from mock_idps.iamsmart.catalog import strings
from tests.flows.conftest import Chain, running_chain

GD = load_catalog()
# language → (bridge locale, iAM Smart getQR lang, the GD switcher's label, persona, permit)
LANGUAGES = {
    "en": ("en", "en-US", "English", "wong-wing-fung", "H12345678", "黄咏峰"),
    "zh-Hant": ("zh-Hant", "zh-HK", "繁體", "cheung-ka-yan", "H23456789", "张嘉欣"),
    "zh-Hans": ("zh-Hans", "zh-CN", "简体", "lau-chi-ming", "H87654321", "刘志明"),
}
HTML_LANG = {"en": "en", "zh-Hant": "zh-Hant-HK", "zh-Hans": "zh-Hans-CN"}


@pytest.fixture
def live_chain(tmp_path: Path, redis_url: str) -> Iterator[Chain]:
    with running_chain(tmp_path, redis_url) as chain:
        yield chain


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:
    # A Guangdong resident's browser: Simplified Chinese until they choose otherwise.
    ctx = chromium.new_context(locale="zh-CN", viewport={"width": 1000, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def shot(page: Page, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_resident_signs_in_and_binds_by_clicking_in_their_language(
    live_chain: Chain, context: BrowserContext, artifacts: Path, language: str
) -> None:
    locale, iamsmart_lang, switcher, persona, permit, gd_name = LANGUAGES[language]
    page = context.new_page()

    page.goto(f"{live_chain.guangdong}/")
    page.get_by_role("navigation").get_by_role("link", name=switcher, exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    shot(page, artifacts, f"{language}-1-guangdong-login")
    page.get_by_role("link", name=GD.text(language, "login.iamsmart_button")).click()

    # Mock iAM Smart's QR page, in the language the platform asked for (ui_locales → lang)
    expect(page.locator("html")).to_have_attribute("lang", iamsmart_lang)
    iamsmart = strings(iamsmart_lang)
    expect(page.get_by_role("heading", level=1)).to_have_text(iamsmart["heading"])
    shot(page, artifacts, f"{language}-2-iamsmart-qr")
    persona_form = page.locator(f"form[data-persona='{persona}']")
    persona_form.get_by_role("button", name=iamsmart["approve"]).click()

    # The bridge's consent page
    assert page.url.startswith(f"{live_chain.bridge}/consent/")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    allow = page.get_by_role("button", name=translate(locale, "consent_allow"), exact=True)
    expect(allow).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text(translate(locale, "consent_attribute"))
    shot(page, artifacts, f"{language}-3-bridge-consent")
    allow.click()

    # Guangdong binds the iAM Smart identity to the resident's account, once
    expect(page.locator("main")).to_have_attribute("data-page", "bind")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.get_by_label(GD.text(language, "bind.label")).fill(permit)
    shot(page, artifacts, f"{language}-4-guangdong-bind")
    page.get_by_role("button", name=GD.text(language, "bind.submit")).click()

    expect(page.locator("main")).to_have_attribute("data-page", "profile")
    expect(page.locator("#profile-name")).to_have_text(gd_name)
    shot(page, artifacts, f"{language}-5-guangdong-profile")


def test_consent_can_be_given_and_remembered_with_the_keyboard_alone(
    live_chain: Chain, context: BrowserContext, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(f"{live_chain.guangdong}/login/iamsmart?lang=en")
    page.locator("form[data-persona='wong-wing-fung']").get_by_role(
        "button", name="Approve"
    ).click()

    remember = page.get_by_role("checkbox")
    expect(remember).to_have_accessible_name(translate("en", "consent_remember").format(days="90"))
    remember.focus()
    page.keyboard.press("Space")
    expect(remember).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Allow", exact=True)).to_be_focused()
    shot(page, artifacts, "keyboard-consent-remember")
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_have_attribute("data-page", "bind")


def test_resident_reviews_and_withdraws_a_remembered_consent_in_the_browser(
    live_chain: Chain, context: BrowserContext, artifacts: Path
) -> None:
    page = context.new_page()
    page.goto(f"{live_chain.guangdong}/login/iamsmart?lang=zh-Hant")
    page.locator("form[data-persona='cheung-ka-yan']").get_by_role(
        "button", name=strings("zh-HK")["approve"]
    ).click()
    page.get_by_label(translate("zh-Hant", "consent_remember").format(days="90")).check()
    page.get_by_role("button", name=translate("zh-Hant", "consent_allow"), exact=True).click()
    expect(page.locator("main")).to_have_attribute("data-page", "bind")

    page.goto(f"{live_chain.bridge}/consents")  # offered in Simplified: the browser's language
    page.get_by_role("navigation").get_by_role("link", name="繁體中文").click()
    sign_in = translate("zh-Hant", "consents_sign_in_with").format(idp="智方便")
    page.get_by_role("link", name=sign_in).click()
    page.locator("form[data-persona='cheung-ka-yan']").get_by_role(
        "button", name=strings("zh-HK")["approve"]
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        translate("zh-Hant", "consents_title")
    )
    section = page.locator("section[data-client='gd-platform-dev']")
    expect(section).to_contain_text(translate("zh-Hant", "consents_withdraw"))
    shot(page, artifacts, "consents-page-zh-Hant")
    section.get_by_role("button").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.locator("section[data-client='gd-platform-dev']")).to_have_count(0)
    shot(page, artifacts, "consents-page-withdrawn-zh-Hant")


@pytest.fixture
def both_directions(tmp_path: Path, redis_url: str) -> Iterator[tuple[Chain, str]]:
    """The chain with the mock Hong Kong e-service beside it."""
    from bridge.clock import ManualClock
    from mock_idps.hk_eservice import create_app, load_config
    from tests.flows.conftest import START
    from tests.support.servers import bind_loopback, serving, url_of

    sock = bind_loopback()
    env = {"HK_ESERVICE_PUBLIC_URL": url_of(sock)}
    with running_chain(tmp_path, redis_url, env_overrides=env) as chain:
        config = load_config(env={**env, "BRIDGE_ISSUER": chain.bridge})
        with serving(create_app(config, clock=ManualClock(START).now), sock):
            yield chain, url_of(sock)


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_mainland_resident_signs_in_to_the_hong_kong_service_in_their_language(
    both_directions: tuple[Chain, str], context: BrowserContext, artifacts: Path, language: str
) -> None:
    """The second direction by clicking: the Hong Kong e-service's Guangdong button, the
    platform's own login, the bridge's PIPL separate consent, back to the service."""
    _, hk = both_directions
    page = context.new_page()
    page.goto(f"{hk}/?lang={language}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    shot(page, artifacts, f"mainland-{language}-1-hk-eservice")
    page.locator("#login-guangdong").click()
    expect(page).to_have_url(re.compile(r".*/tif/sso/connect/page/oauth2/authorize\?.*"))
    shot(page, artifacts, f"mainland-{language}-2-guangdong-login")
    page.locator('form[data-persona="chen-fa-ming"] button[value="sign_in"]').click()
    # The bridge's separate consent, in the language the service passed on (ui_locales).
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[language])
    expect(page.locator("#consent-direction")).to_be_visible()
    expect(page.locator("h1")).to_contain_text(
        translate(language, "consent_title_pipl").split("{")[0].strip()
    )
    shot(page, artifacts, f"mainland-{language}-3-pipl-consent")
    page.get_by_role("button", name=translate(language, "consent_allow_pipl")).click()
    expect(page.locator("#profile-acr")).to_have_attribute("data-value", "L2")
    expect(page.locator("#claims")).to_contain_text("陳發明")
    shot(page, artifacts, f"mainland-{language}-4-hk-profile")
