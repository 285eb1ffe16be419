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
