"""The browser-binding cookie cannot be fixed by an attacker (issue 10): the bridge
issues the ids itself and replaces any other value, rotates the id at sign-in to the
resident's own account, and over https names the cookie `__Host-…`."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from tests.flows.conftest import Chain, running_chain
from tests.flows.steps import at_iamsmart, choose
from tests.flows.test_consent_memory import sign_in_to_consents
from tests.support.browser import Resident
from tests.support.rp import RelyingParty
from tests.support.tls import loopback_tls

PLANTED = "A" * 43  # the shape the bridge used to accept


def test_a_planted_browser_id_is_replaced_by_one_the_bridge_issues(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    for planted in (PLANTED, PLANTED + ".AAAAAAAAAAAAAAAAAAAAAA"):
        response = httpx.get(
            rp.authorization_request(idp_hint="iamsmart").url,
            cookies={"bridge_browser": planted},
        )
        assert response.status_code == 302, response.text[:200]
        issued = response.cookies.get("bridge_browser")
        assert issued is not None and issued != planted, "the planted value is not adopted"


def test_an_attacker_who_planted_their_browser_id_does_not_share_the_residents_session(
    chain: Chain,
) -> None:
    attacker, victim = Resident(), Resident()
    try:
        # The attacker gets an id the bridge really issued, and plants it in the victim.
        attacker.open(f"{chain.bridge}/consents/sign-in?idp=iamsmart")
        planted = attacker.http.cookies.get("bridge_browser")
        assert planted
        victim.http.cookies.set("bridge_browser", planted, domain="127.0.0.1")
        listing = sign_in_to_consents(chain, victim)
        assert listing.html.select_one("form[action='/consents/sign-out']") is not None
        assert victim.http.cookies.get("bridge_browser") != planted, "rotated at sign-in"
        seen_by_attacker = attacker.open(f"{chain.bridge}/consents")
        assert seen_by_attacker.html.select_one("form[action='/consents/sign-out']") is None
        assert seen_by_attacker.html.select_one("#consents-sign-in-iamsmart") is not None
    finally:
        attacker.close()
        victim.close()


def test_over_https_the_cookie_is_a_host_prefixed_secure_cookie(
    tmp_path: Path, redis_url: str
) -> None:
    tls, ca = loopback_tls(tmp_path / "tls")
    with running_chain(tmp_path, redis_url, bridge_tls=tls) as chain:
        rp = RelyingParty(chain.bridge)
        context = ssl.create_default_context(cafile=str(ca))
        response = httpx.get(rp.authorization_request(idp_hint="iamsmart").url, verify=context)
        assert response.status_code == 302, response.text[:200]
        set_cookie = response.headers["set-cookie"]
        assert set_cookie.startswith("__Host-bridge_browser=")
        attributes = {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]}
        assert {"secure", "httponly", "path"} <= attributes and "domain" not in attributes
        resident = Resident(verify=context)
        try:
            request = rp.authorization_request()
            page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
            assert "/consent/" in page.url, "the sign-in completes with the __Host- cookie"
        finally:
            resident.close()
