"""`bridge demo` is the newcomer's first contact: it must start all three servers with
one command and let a person sign in end to end."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Resident
from tests.support.demo import running_demo


def test_demo_command_runs_the_whole_sign_in(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    resident = Resident()
    with running_demo(keys) as demo:
        assert (keys / "signing" / "keyset.json").exists()
        assert (keys / "iamsmart-kek.pem").read_text().startswith("# DEVELOPMENT KEY")
        qr = at_iamsmart(resident, f"{demo.guangdong}/login/iamsmart")
        page = consent(resident, choose(resident, qr, "wong-wing-fung"), "allow")
        profile = resident.submit(page, fields={"permit_number": "H12345678"})
        assert profile.html.select_one("#profile-name").get_text(strip=True) == "黄咏峰"
    resident.close()
    assert f"Open {demo.guangdong}/" in demo.output
    for url in (demo.iamsmart, demo.guangdong):
        try:
            httpx.get(f"{url}/healthz", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"a mock is still running at {url} after the demo stopped")


def test_demo_runs_the_second_direction_from_the_hong_kong_e_service(tmp_path: Path) -> None:
    """The banner's second door: a Mainland resident at the mock Hong Kong e-service,
    through the bridge, signs in with the Guangdong platform's own login."""
    resident = Resident(accept_language="zh-CN")
    with running_demo(tmp_path / "keys") as demo:
        home = resident.open(f"{demo.hk_eservice}/")
        start = home.html.select_one("#login-guangdong")
        assert start is not None, home.text[:300]
        login = resident.open(f"{demo.hk_eservice}{start['href']}")
        assert "/tif/sso/connect/page/oauth2/authorize" in login.url, login.url
        form = login.html.select_one('#login-platform form[data-persona="chen-fa-ming"]')
        page = resident.submit(login, form=form, button=("action", "sign_in"))
        assert "/consent/" in page.url and page.html.select_one("#consent-direction")
        profile = consent(resident, page, "allow")
        assert profile.html.select_one("#profile-acr")["data-value"] == "L2"
        assert "陳發明" in profile.html.select_one("#claims").get_text()
    resident.close()
    assert f"Open {demo.hk_eservice}/" in demo.output
