"""Release policy: a client receives at most its registration's `allowed_claims`;
scopes only narrow that, and the bridge asks iAM Smart only for the profile fields
those claims need (data minimisation, docs/protocols.md §1.17)."""

from __future__ import annotations

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.audit import audit_events, profile_fields_requested
from tests.support.browser import Resident
from tests.support.rp import RelyingParty


def _userinfo(
    chain: Chain, resident: Resident, rp: RelyingParty, scope: str, auth: str = "basic"
) -> dict[str, str]:
    request = rp.authorization_request(scope=scope)
    qr = at_iamsmart(resident, request.url)
    stopped = consent(
        resident, choose(resident, qr, "wong-wing-fung"), "allow", stop_at=rp.redirect_uri
    )
    tokens = rp.redeem(location_query(stopped)["code"], request.verifier, auth=auth).json()
    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 200, response.text
    claims: dict[str, str] = response.json()
    return claims


def test_a_client_never_receives_a_claim_outside_its_policy_whatever_scopes_it_asks_for(
    chain: Chain, resident: Resident, redis_url: str
) -> None:
    # test-portal may ask for the email and hkic scopes, but its policy allows neither
    # claim: asking for everything it may gets it only its five allowed claims.
    rp = RelyingParty(chain.bridge)
    claims = _userinfo(chain, resident, rp, "openid profile phone email hkic")
    assert set(claims) - {"sub"} == {"name", "name#zh-Hans", "sex", "birthdate", "phone_number"}
    assert profile_fields_requested(chain) == [
        ["birthDate", "chName", "chNameVerified", "enName", "gender", "mobileNumber"]
    ], "iAM Smart was asked for more than the policy needs"
    (decision,) = [e for e in audit_events(redis_url) if e["event"] == "consent.decided"]
    assert decision["fields"] == sorted(set(claims) - {"sub"})


def test_a_narrower_scope_narrows_what_is_asked_for_and_released(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge, client_id="test-other", secret="test-other-secret")
    rp.redirect_uri = "https://other.test/callback"
    claims = _userinfo(chain, resident, rp, "openid profile", auth="post")
    assert set(claims) == {"sub", "name"}
    assert profile_fields_requested(chain) == [["chName", "chNameVerified", "enName"]]


def test_a_scope_outside_the_registration_is_refused_not_silently_widened(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge, client_id="test-other", secret="test-other-secret")
    rp.redirect_uri = "https://other.test/callback"
    request = rp.authorization_request(scope="openid profile hkic")
    stopped = resident.open(request.url, stop_at=rp.redirect_uri)
    assert location_query(stopped)["error"] == "invalid_scope"
    assert profile_fields_requested(chain) == []
