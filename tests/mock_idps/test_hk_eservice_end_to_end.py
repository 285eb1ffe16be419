"""A Hong Kong resident signs in to the mock Hong Kong e-service with iAM Smart, through
the real bridge: the e-service, the bridge (on the private redis-server) and the mock
iAM Smart as real servers on loopback, a scripted resident pressing what a person would.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest

from bridge.clock import ManualClock
from bridge.provider.subject import pairwise_subject
from bridge.settings import Settings
from mock_idps.hk_eservice import create_app, load_config
from tests.flows.conftest import START, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Page, Resident
from tests.support.servers import bind_loopback, serving, url_of

BRIDGE_IAMSMART_CLIENT = "gba-bridge-dev"  # config/upstreams.yaml


@dataclass
class Services:
    chain: Chain
    hk: str


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[Services]:
    sock = bind_loopback()
    hk_url = url_of(sock)
    env = {"HK_ESERVICE_PUBLIC_URL": hk_url}
    with running_chain(tmp_path, redis_url, env_overrides=env) as chain:
        config = load_config(env={**env, "BRIDGE_ISSUER": chain.bridge})
        with serving(create_app(config, clock=ManualClock(START).now), sock):
            yield Services(chain, hk_url)


@pytest.fixture
def resident() -> Iterator[Resident]:
    person = Resident(accept_language="en")
    yield person
    person.close()


def expected_sub(chain: Chain, persona: str) -> str:
    """What the bridge must send the e-service: its pairwise id of the iAM Smart openID."""
    salt = Settings.model_fields["pairwise_salt"].default.get_secret_value()
    open_id = chain.iamsmart_state.open_id(BRIDGE_IAMSMART_CLIENT, persona)
    return pairwise_subject(
        salt, sector="hk-eservice-dev", idp="iamsmart", upstream_subject=open_id
    )


def press(resident: Resident, page: Page, element_id: str) -> str:
    link = page.html.find(id=element_id)
    assert link is not None, f"no #{element_id} on {page.url}"
    return urljoin(page.url, str(link["href"]))


def sign_in_with_iamsmart(services: Services, resident: Resident, lang: str = "en") -> Page:
    home = resident.open(f"{services.hk}/?lang={lang}")
    qr = at_iamsmart(resident, press(resident, home, "login-iamsmart"))
    page = choose(resident, qr, "wong-wing-fung")
    return consent(resident, page, "allow")


def cell(page: Page, selector: str) -> str:
    found = page.html.select_one(selector)
    assert found is not None, f"no {selector} on {page.url}: {page.text[:300]}"
    return found.get_text(" ", strip=True)


def test_hong_kong_resident_signs_in_with_iamsmart_and_sees_what_the_service_received(
    services: Services, resident: Resident
) -> None:
    profile = sign_in_with_iamsmart(services, resident)

    assert profile.url == f"{services.hk}/profile", profile.text[:300]
    assert cell(profile, "#profile-sub") == expected_sub(services.chain, "wong-wing-fung")
    assert cell(profile, "tr[data-claim='name#zh-Hant'] td") == "黃詠峯"
    assert cell(profile, "tr[data-claim='name#zh-Hans'] td") == "黄咏峰"
    assert cell(profile, "tr[data-claim='name#en'] td") == "WONG, Wing Fung"
    assert profile.html.select_one("#profile-acr")["data-value"] == "L2"
    idp = profile.html.select_one("#profile-idp")
    assert (idp["data-value"], idp["data-source"]) == ("iamsmart", "choice")
    assert profile.html.select_one("tr[data-claim=birthdate]") is None, "profile scope narrowed"
    assert cell(profile, "tr[data-claim=iss] td") == services.chain.bridge


def test_sign_out_ends_the_local_session(services: Services, resident: Resident) -> None:
    profile = sign_in_with_iamsmart(services, resident)
    signed_out = resident.submit(profile)
    assert signed_out.html.find("main")["data-page"] == "signed-out"
    assert resident.open(f"{services.hk}/profile").url == f"{services.hk}/"
    assert resident.open(f"{services.hk}/").html.find(id="login-iamsmart") is not None


def test_the_chosen_language_reaches_the_bridge_and_comes_back(
    services: Services, resident: Resident
) -> None:
    home = resident.open(f"{services.hk}/?lang=zh-Hans")
    qr = at_iamsmart(resident, press(resident, home, "login-iamsmart"))
    assert qr.html.find("html")["lang"] == "zh-CN", "ui_locales=zh-Hans, passed on by the bridge"
    page = choose(resident, qr, "wong-wing-fung")
    assert page.html.find("html")["lang"] == "zh-Hans-CN"
    profile = consent(resident, page, "allow")
    assert profile.html.find("html")["lang"] == "zh-Hans"
    assert "本服务收到的资料" in profile.text


def test_resident_denying_consent_sees_why_in_their_language(
    services: Services, resident: Resident
) -> None:
    home = resident.open(f"{services.hk}/?lang=zh-Hant")
    qr = at_iamsmart(resident, press(resident, home, "login-iamsmart"))
    denied = consent(resident, choose(resident, qr, "wong-wing-fung"), "deny")

    assert denied.url.startswith(f"{services.hk}/oidc/callback?"), denied.url
    assert denied.html.find("html")["lang"] == "zh-Hant"
    assert denied.html.find("main")["data-error"] == "declined"
    assert "您已取消登入" in cell(denied, "#message")
    assert cell(denied, "#bridge-error") == "access_denied"
    assert press(resident, denied, "try-again").startswith(f"{services.hk}/login/iamsmart?")
    assert resident.open(f"{services.hk}/profile").url == f"{services.hk}/", "not signed in"
