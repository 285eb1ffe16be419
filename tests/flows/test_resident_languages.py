"""The resident's pages in three languages: chosen by the switcher (`lang`), then the
client's `ui_locales`, then Accept-Language; every page says which language it is in,
and every catalog has every text."""

from __future__ import annotations

from urllib.parse import urljoin

import httpx
import pytest
import yaml

from bridge.i18n import SUPPORTED, translate
from mock_idps.guangdong.i18n import load_catalog
from mock_idps.iamsmart.catalog import _CATALOG as IAMSMART_CATALOG
from tests.flows.conftest import REPO, Chain
from tests.flows.steps import at_iamsmart, choose
from tests.support.browser import Resident


@pytest.fixture
def chain(module_chain: Chain) -> Chain:
    """The module's one chain: these tests only read, each with its own browser."""
    return module_chain


def test_every_bridge_catalog_has_every_text() -> None:
    keys = {
        locale: set(yaml.safe_load((REPO / f"bridge/locales/{locale}.yaml").read_text()))
        for locale in SUPPORTED
    }
    assert keys["zh-Hant"] == keys["en"] == keys["zh-Hans"]


def test_every_mock_catalog_has_every_text() -> None:
    assert {frozenset(table) for table in IAMSMART_CATALOG.values()} == {
        frozenset(IAMSMART_CATALOG["en-US"])
    }
    guangdong = load_catalog()
    assert guangdong.keys("en") == guangdong.keys("zh-Hant") == guangdong.keys("zh-Hans")


def test_error_page_follows_ui_locales_and_its_switcher_echoes_nothing_sent(
    chain: Chain,
) -> None:
    page = httpx.get(
        f"{chain.bridge}/authorize",
        params={"client_id": "nobody", "ui_locales": "zh-HK", "redirect_uri": "https://evil.test/"},
    )
    assert page.status_code == 400
    assert 'lang="zh-Hant-HK"' in page.text
    assert translate("zh-Hant", "error_unknown_client") in page.text
    assert "evil.test" not in page.text and "nobody" not in page.text

    resident = Resident(accept_language="zh-HK")
    try:
        first = resident.open(f"{chain.bridge}/authorize?client_id=nobody")
        english = first.html.select_one("nav a[lang=en]")
        assert english is not None and english["href"].startswith("/error?")
        again = resident.open(urljoin(first.url, english["href"]))
    finally:
        resident.close()
    assert again.html.find("html")["lang"] == "en"
    assert translate("en", "error_unknown_client") in again.text


def test_error_switcher_shows_only_messages_the_catalog_has(chain: Chain) -> None:
    page = httpx.get(
        f"{chain.bridge}/error", params={"key": "<script>", "error": "<b>", "lang": "en"}
    )
    assert translate("en", "error_generic") in page.text
    assert "<script>" not in page.text and "<b>" not in page.text


@pytest.mark.parametrize(("lang", "html_lang"), [("zh-Hans", "zh-Hans-CN"), ("en", "en")])
def test_consent_page_switcher_changes_the_language(
    chain: Chain, lang: str, html_lang: str
) -> None:
    resident = Resident(accept_language="zh-HK")
    try:
        consent = choose(
            resident, at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart"), "wong-wing-fung"
        )
        assert consent.html.find("html")["lang"] == "zh-Hant-HK"
        link = consent.html.select_one(f"nav a[lang={lang}]")
        switched = resident.open(urljoin(consent.url, link["href"]))
    finally:
        resident.close()
    assert switched.html.find("html")["lang"] == html_lang
    assert translate(lang, "consent_allow") in switched.text
    remember = switched.html.select_one("input#remember")
    assert switched.html.select_one("label[for=remember]") is not None, "a labelled control"
    assert remember["type"] == "checkbox"


def test_iamsmart_qr_page_offers_each_language(chain: Chain) -> None:
    resident = Resident(accept_language="en")
    try:
        qr = at_iamsmart(resident, f"{chain.guangdong}/login/iamsmart?lang=en")
        assert qr.html.find("html")["lang"] == "en-US"
        links = {a["lang"]: a["href"] for a in qr.html.select("nav a[lang]")}
        assert set(links) == {"en-US", "zh-HK", "zh-CN"}
        simplified = resident.open(urljoin(qr.url, links["zh-CN"]))
    finally:
        resident.close()
    assert simplified.html.find("html")["lang"] == "zh-CN"
    assert simplified.html.select_one("form[data-persona]") is not None
