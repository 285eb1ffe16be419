"""The bridge as an OpenID Provider (RFC 6749 §4.1, RFC 7636, OIDC Core §3.1, RFC 9207),
driven by a scripted relying party through the real chain."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import AuthorizationRequest, RelyingParty


@pytest.fixture
def rp(chain: Chain) -> RelyingParty:
    return RelyingParty(chain.bridge)


@dataclass
class Authorized:
    request: AuthorizationRequest
    response: dict[str, str]

    @property
    def code(self) -> str:
        return self.response["code"]


def authorize(
    rp: RelyingParty, resident: Resident, persona: str = "wong-wing-fung", **overrides: str | None
) -> Authorized:
    request = rp.authorization_request(**overrides)
    qr = at_iamsmart(resident, request.url)
    page = choose(resident, qr, persona)
    stopped = consent(resident, page, "allow", stop_at=rp.redirect_uri)
    return Authorized(request, location_query(stopped))


def jwks(chain: Chain) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{chain.bridge}/jwks.json").json())


def test_authorization_response_carries_code_state_and_issuer(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    assert authorized.response["state"] == authorized.request.state
    assert authorized.response["iss"] == chain.bridge
    assert len(authorized.code) >= 43


def test_code_redeems_for_an_es256_id_token_bound_to_the_request(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(authorized.code, authorized.request.verifier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile"
    token = jwt.decode(body["id_token"], jwks(chain), algorithms=["ES256"])
    assert token.header["alg"] == "ES256"
    claims = token.claims
    assert claims["iss"] == chain.bridge
    assert claims["aud"] == "test-portal"
    assert claims["nonce"] == authorized.request.nonce
    assert claims["acr"] == "L2"
    assert claims["exp"] > claims["iat"]
    assert "name" not in claims, "scope claims go to UserInfo when an access token is issued"


def test_userinfo_returns_only_what_the_client_may_receive(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    """test-portal may receive name, name#zh-Hans, sex, birthdate and phone_number; it
    asks for profile, phone and even hkic, and gets only the intersection."""
    authorized = authorize(rp, resident, scope="openid profile phone hkic")
    tokens = rp.redeem(authorized.code, authorized.request.verifier).json()
    info = rp.userinfo(tokens["access_token"])
    assert info.status_code == 200
    assert info.headers["cache-control"] == "no-store"
    claims = info.json()
    assert claims.pop("sub")
    assert claims == {
        "name": "黃詠峯",
        "name#zh-Hans": "黄咏峰",
        "sex": "2",
        "birthdate": "1990-01-01",
        "phone_number": "+85291234567",
    }


def test_sub_is_pairwise_and_stable_per_client(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    first = authorize(rp, resident)
    second = authorize(rp, resident)
    other_rp = RelyingParty(
        chain.bridge, "test-other", "test-other-secret", "https://other.test/callback"
    )
    third = authorize(other_rp, resident)

    def sub(party: RelyingParty, authorized: Authorized) -> str:
        tokens = party.redeem(authorized.code, authorized.request.verifier, auth="post").json()
        return str(jwt.decode(tokens["id_token"], jwks(chain)).claims["sub"])

    portal_first, portal_second = sub(rp, first), sub(rp, second)
    assert portal_first == portal_second
    assert sub(other_rp, third) != portal_first


def test_reused_code_is_invalid_grant_and_revokes_its_tokens(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    first = rp.redeem(authorized.code, authorized.request.verifier)
    assert first.status_code == 200
    access_token = first.json()["access_token"]
    assert rp.userinfo(access_token).status_code == 200

    replay = rp.redeem(authorized.code, authorized.request.verifier)
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert replay.headers["cache-control"] == "no-store"

    revoked = rp.userinfo(access_token)
    assert revoked.status_code == 401
    assert 'error="invalid_token"' in revoked.headers["www-authenticate"]


def test_wrong_pkce_verifier_is_invalid_grant(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(authorized.code, "x" * 64)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert "PKCE" in response.json()["error_description"]


def test_code_presented_by_another_client_is_invalid_grant(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(
        authorized.code,
        authorized.request.verifier,
        auth="post",
        client_id="test-other",
        secret="test-other-secret",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_redirect_uri_differing_at_the_token_endpoint_is_invalid_grant(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(
        authorized.code, authorized.request.verifier, redirect_uri="https://portal.test/other"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_code_older_than_sixty_seconds_is_invalid_grant(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    chain.bridge_clock.advance(61)
    response = rp.redeem(authorized.code, authorized.request.verifier)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_client_secret_post_is_accepted(chain: Chain, rp: RelyingParty, resident: Resident) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(authorized.code, authorized.request.verifier, auth="post")
    assert response.status_code == 200, response.text


def test_failed_basic_authentication_is_401_with_a_challenge(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    response = rp.redeem(authorized.code, authorized.request.verifier, secret="wrong")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    # the failed attempt did not consume the code
    assert rp.redeem(authorized.code, authorized.request.verifier).status_code == 200


def test_expired_access_token_is_refused_at_userinfo(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    authorized = authorize(rp, resident)
    tokens = rp.redeem(authorized.code, authorized.request.verifier).json()
    chain.bridge_clock.advance(tokens["expires_in"] + 1)
    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_iamsmart_code_that_expired_before_the_callback_is_access_denied(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    request = rp.authorization_request()
    qr = at_iamsmart(resident, request.url)
    at_callback = choose(resident, qr, "wong-wing-fung", stop_at=f"{chain.bridge}/callback")
    chain.iamsmart_clock.advance(61)  # iAM Smart codes live 60 s (docs/protocols.md §1.5)
    stopped = resident.follow(at_callback.response, stop_at=rp.redirect_uri)
    response = location_query(stopped)
    assert response["error"] == "access_denied"
    assert "expired" in response["error_description"]
    assert response["state"] == request.state


def test_browser_other_than_the_one_that_started_cannot_complete_the_callback(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    request = rp.authorization_request()
    qr = at_iamsmart(resident, request.url)
    at_callback = choose(resident, qr, "wong-wing-fung", stop_at=f"{chain.bridge}/callback")
    callback_url = at_callback.response.headers["location"]
    attacker = Resident()
    try:
        page = attacker.open(callback_url)
        assert page.status == 400
        assert page.hops == [], "the other browser is not redirected anywhere"
    finally:
        attacker.close()
    # the other browser spent nothing: the rightful browser completes its sign-in, once
    owner = resident.open(callback_url)
    assert owner.status == 200 and "/consent/" in owner.url, owner.text[:300]
    assert resident.open(callback_url).status == 400, "the flow is single use"


def test_consent_form_with_a_wrong_csrf_token_issues_nothing(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    request = rp.authorization_request()
    qr = at_iamsmart(resident, request.url)
    page = choose(resident, qr, "wong-wing-fung")
    forged = resident.submit(
        page,
        button=("decision", "allow"),
        fields={"csrf_token": "forged"},
        stop_at=rp.redirect_uri,
    )
    assert forged.status == 400
    assert forged.hops == []


def test_consent_can_be_answered_only_once(
    chain: Chain, rp: RelyingParty, resident: Resident
) -> None:
    request = rp.authorization_request()
    qr = at_iamsmart(resident, request.url)
    page = choose(resident, qr, "wong-wing-fung")
    first = consent(resident, page, "allow", stop_at=rp.redirect_uri)
    assert "code" in location_query(first)
    second = consent(resident, page, "allow", stop_at=rp.redirect_uri)
    assert second.status == 400
