"""`prompt` and `max_age` (OIDC Core §3.1.2.1) through the real chain: what the resident
sees, what iAM Smart is asked, and the `auth_time` the client receives."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import yaml
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.flows.conftest import REPO, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import RelyingParty


def id_token_claims(chain: Chain, rp: RelyingParty, resident: Resident, **params: str) -> dict:
    request = rp.authorization_request(**params)
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    code = location_query(consent(resident, page, "allow", stop_at=rp.redirect_uri))["code"]
    tokens = rp.redeem(code, request.verifier).json()
    keys = KeySet.import_key_set(httpx.get(f"{chain.bridge}/jwks.json").json())
    return dict(jwt.decode(tokens["id_token"], keys).claims)


def advance(chain: Chain, seconds: float) -> None:
    for clock in (chain.bridge_clock, chain.iamsmart_clock, chain.guangdong_clock):
        clock.advance(seconds)


def test_prompt_login_authenticates_again_upstream_and_auth_time_is_the_new_one(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    first = id_token_claims(chain, rp, resident)
    advance(chain, 120)
    qr_pages = chain.iamsmart_state.calls["getQR"]
    again = id_token_claims(chain, rp, resident, prompt="login")
    assert chain.iamsmart_state.calls["getQR"] == qr_pages + 1, "a new getQR: a new sign-in"
    assert again["auth_time"] == first["auth_time"] + 120


def test_max_age_yields_an_id_token_with_a_fresh_auth_time(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    claims = id_token_claims(chain, rp, resident, max_age="60")
    assert "auth_time" in claims, "OIDC Core §2: required when max_age was asked"
    assert claims["iat"] - claims["auth_time"] <= 60


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"prompt": "sideways"}, "Unknown prompt value sideways"),
        ({"max_age": "-1"}, "max_age must be a non-negative number of seconds"),
        ({"max_age": "soon"}, "max_age must be a non-negative number of seconds"),
        ({"prompt": "none login"}, "prompt=none cannot be combined with other values"),
    ],
)
def test_a_bad_prompt_or_max_age_goes_back_to_the_client_as_invalid_request(
    chain: Chain, resident: Resident, params: dict[str, str], description: str
) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request(**params)
    page = resident.open(request.url, stop_at=rp.redirect_uri)
    answer = location_query(page)
    assert answer["error"] == "invalid_request"
    assert answer["error_description"] == description
    assert answer["state"] == request.state


def two_upstreams(tmp_path: Path) -> dict[str, Path]:
    """The test clients, plus one allowed two iAM Smart connections (as a Hong Kong
    service allows iAM Smart and Guangdong's platform)."""
    upstreams = yaml.safe_load((REPO / "config/upstreams.yaml").read_text())
    upstreams["upstreams"]["iamsmart-b"] = {
        **upstreams["upstreams"]["iamsmart"],
        "display_name": {"en": "Second", "zh-Hant": "第二", "zh-Hans": "第二"},
    }
    clients = yaml.safe_load((REPO / "tests/flows/clients.yaml").read_text())
    portal = next(c for c in clients["clients"] if c["client_id"] == "test-portal")
    portal["upstreams"] = ["iamsmart", "iamsmart-b"]
    files = {"upstreams_file": tmp_path / "upstreams.yaml", "clients_file": tmp_path / "c.yaml"}
    files["upstreams_file"].write_text(yaml.safe_dump(upstreams, allow_unicode=True))
    files["clients_file"].write_text(yaml.safe_dump(clients, allow_unicode=True))
    return files


def test_prompt_select_account_shows_the_upstream_chooser_despite_a_hint(
    tmp_path: Path, redis_url: str, resident: Resident
) -> None:
    with running_chain(tmp_path, redis_url, settings_overrides=two_upstreams(tmp_path)) as ch:
        rp = RelyingParty(ch.bridge)
        hinted = rp.authorization_request(idp_hint="iamsmart")
        assert "/api/v1/auth/getQR" in resident.open(hinted.url).url, "a hint is followed"

        asked = rp.authorization_request(idp_hint="iamsmart", prompt="select_account login")
        chooser = resident.open(asked.url)
        assert chooser.status == 200
        links = {a["id"]: a["href"] for a in chooser.html.select("a[id^=choose-]")}
        assert set(links) == {"choose-iamsmart", "choose-iamsmart-b"}
        assert "select_account" not in links["choose-iamsmart"], "the choice answers it"
        assert "prompt=login" in links["choose-iamsmart"], "the rest of prompt stays"
        assert "/api/v1/auth/getQR" in resident.open(ch.bridge + links["choose-iamsmart"]).url
