"""The Hong Kong e-service's pages and configuration: three languages with the right
`lang` attributes, accessible sign-in choices, safe headers, `${VAR:-default}`
configuration, and `python -m mock_idps.hk_eservice` as a real process.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup
from pydantic import ValidationError

from mock_idps.hk_eservice import create_app, load_config
from mock_idps.hk_eservice.i18n import LOCALES, load_catalog
from tests.mock_idps.hk_eservice_support import make_config
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there
SITE_NAMES = {
    "en": "Hong Kong Government e-Service (mock)",
    "zh-Hant": "香港政府電子服務（模擬）",
    "zh-Hans": "香港政府电子服务（模拟）",
}
GUANGDONG_BUTTON = {
    "en": "Guangdong unified identity",
    "zh-Hant": "廣東省統一身份認證",
    "zh-Hans": "广东省统一身份认证",
}


@pytest.fixture(scope="module")
def site() -> Iterator[RunningServer]:
    sock = bind_loopback()
    with serving(create_app(make_config(url_of(sock), UNREACHABLE)), sock) as running:
        yield running


def page(response: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(response.text, "html.parser")


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans"])
def test_home_page_in_each_language(site: RunningServer, lang: str) -> None:
    home = page(httpx.get(f"{site.url}/", params={"lang": lang}))
    assert home.find("html")["lang"] == lang
    assert SITE_NAMES[lang] in home.find("title").get_text()
    guangdong, iamsmart = home.select_one("#login-guangdong"), home.select_one("#login-iamsmart")
    assert guangdong.get_text(strip=True) == GUANGDONG_BUTTON[lang]
    assert iamsmart.get_text(strip=True) == "智方便 iAM Smart"
    assert guangdong["href"] == f"/login/guangdong?lang={lang}"
    assert iamsmart["href"] == f"/login/iamsmart?lang={lang}"
    for button in (guangdong, iamsmart):
        assert home.find(id=button["aria-describedby"]).get_text(strip=True), "a described control"

    switcher = home.select_one("nav[aria-label]")
    links = {a["lang"]: a for a in switcher.select("a[lang]")}
    assert set(links) == set(LOCALES)
    assert all(link["hreflang"] == code for code, link in links.items())
    assert [code for code, a in links.items() if a.get("aria-current") == "true"] == [lang]


@pytest.mark.parametrize(
    ("accept_language", "lang"),
    [("zh-CN,zh;q=0.9", "zh-Hans"), ("zh-HK", "zh-Hant"), ("en-GB,en;q=0.8", "en"),
     ("fr-FR", "zh-Hant"), ("fr;q=1, en;q=0.5", "en"), ("en;q=0, zh-Hans", "zh-Hans")],
)  # fmt: skip
def test_language_follows_accept_language(
    site: RunningServer, accept_language: str, lang: str
) -> None:
    response = httpx.get(f"{site.url}/", headers={"Accept-Language": accept_language})
    assert page(response).find("html")["lang"] == lang


def test_chosen_language_is_remembered(site: RunningServer) -> None:
    with httpx.Client(base_url=site.url, headers={"Accept-Language": "en"}) as browser:
        chosen = browser.get("/", params={"lang": "zh-Hans"})
        assert "lang=zh-Hans" in chosen.headers["set-cookie"]
        assert page(browser.get("/")).find("html")["lang"] == "zh-Hans"


def test_every_locale_has_every_text() -> None:
    catalog = load_catalog()
    assert catalog.keys("en") == catalog.keys("zh-Hant") == catalog.keys("zh-Hans")


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans"])
def test_unknown_sign_in_option_is_a_page_not_a_500(site: RunningServer, lang: str) -> None:
    response = httpx.get(f"{site.url}/login/somewhere-else", params={"lang": lang})
    assert response.status_code == 404
    assert page(response).find("html")["lang"] == lang
    assert page(response).find("main")["data-error"] == "not_found"


def test_pages_are_not_cached_framed_or_sniffed(site: RunningServer) -> None:
    headers = httpx.get(f"{site.url}/").headers
    assert headers["cache-control"] == "no-store"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


def test_profile_without_a_session_goes_home(site: RunningServer) -> None:
    response = httpx.get(f"{site.url}/profile", cookies={"hk_session": "not-a-session"})
    assert (response.status_code, response.headers["location"]) == (303, "/")


def test_healthz(site: RunningServer) -> None:
    assert httpx.get(f"{site.url}/healthz").json() == {"status": "ok"}


# --- configuration --------------------------------------------------------------------


def test_default_configuration_is_the_demo() -> None:
    config = load_config(env={})
    assert config.public_url == "http://127.0.0.1:8003"
    assert config.redirect_uri == "http://127.0.0.1:8003/oidc/callback"
    assert config.bridge.issuer == "http://127.0.0.1:8000"
    assert config.bridge.internal_url == ""
    assert config.bridge.client_id == "hk-eservice-dev"
    assert config.bridge.scopes == "openid profile"
    assert not config.secure_cookies
    assert config.uses_development_secret()


def test_environment_overrides_the_defaults() -> None:
    config = load_config(
        env={
            "HK_ESERVICE_PUBLIC_URL": "https://eservice.example.gov.hk/",
            "BRIDGE_ISSUER": "https://bridge.example.gov.hk",
            "BRIDGE_INTERNAL_URL": "http://bridge:8000",
            "HK_ESERVICE_CLIENT_SECRET": "a-real-secret-from-the-vault-0123456789",
        }
    )
    assert config.redirect_uri == "https://eservice.example.gov.hk/oidc/callback"
    assert config.bridge.issuer == "https://bridge.example.gov.hk"
    assert config.bridge.internal_url == "http://bridge:8000"
    assert config.secure_cookies
    assert not config.uses_development_secret()


@pytest.mark.parametrize(
    "bridge",
    [{"scopes": "profile"}, {"issuer": "bridge.example"}, {"internal_url": "ftp://bridge"}],
)
def test_bad_configuration_is_refused(bridge: dict[str, str]) -> None:
    settings = {"issuer": "http://127.0.0.1:8000", **bridge}
    with pytest.raises(ValidationError):
        make_config("http://127.0.0.1:8003", settings.pop("issuer"), **settings)


def test_development_secret_is_warned_about(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="mock_idps.hk_eservice")
    create_app(load_config(env={}))
    assert "development client secret" in caplog.text
    caplog.clear()
    create_app(make_config("http://127.0.0.1:8003", UNREACHABLE))
    assert "development client secret" not in caplog.text


def test_python_m_serves_the_service_on_the_given_port() -> None:
    sock = bind_loopback()
    port = sock.getsockname()[1]
    sock.close()  # the process binds it itself
    env = {**os.environ, "HK_ESERVICE_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "mock_idps.hk_eservice", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        for _ in range(100):
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert health is not None and health.json() == {"status": "ok"}
        home = httpx.get(f"http://127.0.0.1:{port}/", params={"lang": "en"})
        assert SITE_NAMES["en"] in home.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "development client secret" in output
