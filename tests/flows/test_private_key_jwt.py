"""private_key_jwt client authentication (RFC 7523 §2.2 and §3, OIDC Core §9), with the
client's keys inline or at a `jwks_uri` served over real HTTP. Every hostile assertion
is `invalid_client` (401)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    ASSERTION_TYPE,
    ExchangeChain,
    jwks_of,
    new_key,
    sign,
)
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.client_tls import TRUSTED
from tests.support.forge import hs256, public_pem, unsigned


def with_assertion(xc: ExchangeChain, assertion: str, **form: Any) -> httpx.Response:
    data = {
        "grant_type": "refresh_token",
        "refresh_token": "unknown",
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
        **form,
    }
    return httpx.post(f"{xc.bridge}/token", data=data, timeout=10, verify=TRUSTED)


def assertion_claims(xc: ExchangeChain, **overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": "portal-jwt",
        "sub": "portal-jwt",
        "aud": f"{xc.bridge}/token",
        "iat": xc.now,
        "exp": xc.now + 60,
        "jti": f"jti-{sorted(overrides.items())!r}-{xc.now}",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def rejected(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "invalid_client"
    assert "www-authenticate" not in response.headers, "only Basic gets a challenge"
    return str(response.json().get("error_description", ""))


def test_client_authenticates_with_a_key_from_its_jwks_uri(xc: ExchangeChain) -> None:
    response = with_assertion(xc, xc.client_assertion())
    assert response.status_code == 400, "authenticated: only the refresh token is wrong"
    assert response.json()["error"] == "invalid_grant"


def test_client_authenticates_with_inline_keys(xc: ExchangeChain) -> None:
    response = with_assertion(xc, xc.client_assertion("portal-inline"))
    assert response.json()["error"] == "unauthorized_client"


def test_private_key_jwt_client_signs_in_and_exchanges(xc: ExchangeChain) -> None:
    """The whole client life with no secret at all: code, refresh, exchange, introspect."""
    rp = xc.rp("portal-jwt")
    request = rp.authorization_request(scope="openid profile offline_access")
    resident = Resident()
    try:
        page = choose(
            resident, at_iamsmart(resident, request.url), "wong-wing-fung", stop_at=rp.redirect_uri
        )
        if "/consent/" in page.url:
            page = consent(resident, page, "allow", stop_at=rp.redirect_uri)
        code = location_query(page)["code"]
    finally:
        resident.close()
    tokens = xc.post(
        "/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": rp.redirect_uri,
            "code_verifier": request.verifier,
        },
        "portal-jwt",
    )
    assert tokens.status_code == 200, tokens.text
    refreshed = xc.post(
        "/token",
        {"grant_type": "refresh_token", "refresh_token": tokens.json()["refresh_token"]},
        "portal-jwt",
    )
    assert refreshed.status_code == 200, refreshed.text
    exchanged = xc.exchange(
        "portal-jwt",
        subject_token=refreshed.json()["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-api",
    )
    assert exchanged.status_code == 200, exchanged.text
    info = xc.post("/introspect", {"token": exchanged.json()["access_token"]}, "portal-jwt")
    assert info.json()["active"] is True


def test_issuer_identifier_is_an_accepted_audience(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, aud=xc.bridge))
    assert with_assertion(xc, token).json()["error"] == "invalid_grant"


def test_jwks_uri_is_cached_and_refetched_once_for_a_new_kid(xc: ExchangeChain) -> None:
    path = "/portal-jwt.json"
    with_assertion(xc, xc.client_assertion())
    fetched = xc.jwks.hits.get(path, 0)
    with_assertion(xc, xc.client_assertion())
    assert xc.jwks.hits[path] == fetched, "served from the cache"

    rotated = new_key()
    xc.jwks.documents[path] = jwks_of(xc.client_key, rotated)
    xc.advance(11)  # past the refetch cool-down
    response = with_assertion(xc, sign(rotated, assertion_claims(xc)))
    assert response.json()["error"] == "invalid_grant", "the new key was fetched and works"
    assert xc.jwks.hits[path] == fetched + 1

    unknown = sign(new_key(), assertion_claims(xc, jti="unknown-kid"))
    assert "unknown key" in rejected(with_assertion(xc, unknown))
    assert xc.jwks.hits[path] == fetched + 1, "no refetch storm inside the cool-down"


def test_alg_none_assertion_is_rejected(xc: ExchangeChain) -> None:
    token = unsigned(assertion_claims(xc), kid=xc.client_key.kid)
    assert "algorithm" in rejected(with_assertion(xc, token))


def test_hs256_assertion_keyed_with_the_clients_public_key_is_rejected(xc: ExchangeChain) -> None:
    jwk = dict(xc.client_key.as_dict(private=False))
    token = hs256(assertion_claims(xc), public_pem(jwk), kid=xc.client_key.kid)
    assert "algorithm" in rejected(with_assertion(xc, token))


def test_hs256_assertion_keyed_with_the_bridges_public_key_is_rejected(xc: ExchangeChain) -> None:
    jwk = httpx.get(f"{xc.bridge}/jwks.json", verify=TRUSTED).json()["keys"][0]
    token = hs256(assertion_claims(xc), public_pem(jwk), kid=jwk["kid"])
    rejected(with_assertion(xc, token))


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u"])
def test_assertion_naming_its_own_key_is_rejected(xc: ExchangeChain, header: str) -> None:
    attacker = new_key(kid=xc.client_key.kid)
    value: Any = {
        "jwk": dict(attacker.as_dict(private=False)),
        "jku": "https://attacker.test/jwks",
        "x5u": "https://attacker.test/cert",
    }[header]
    token = sign(attacker, assertion_claims(xc), {header: value})
    assert "names its own key" in rejected(with_assertion(xc, token))


def test_kid_path_trick_is_an_unknown_key(xc: ExchangeChain) -> None:
    token = sign(new_key(kid="../../keys/signing/keyset.json"), assertion_claims(xc))
    assert "unknown key" in rejected(with_assertion(xc, token))


def test_assertion_signed_with_a_foreign_key_is_rejected(xc: ExchangeChain) -> None:
    token = sign(new_key(kid=xc.client_key.kid), assertion_claims(xc))
    assert "signature" in rejected(with_assertion(xc, token))


def test_assertion_for_another_audience_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, aud="https://other-as.test/token"))
    assert "audience" in rejected(with_assertion(xc, token))


def test_assertion_naming_a_foreign_audience_beside_ours_is_rejected(xc: ExchangeChain) -> None:
    token = sign(
        xc.client_key, assertion_claims(xc, aud=[f"{xc.bridge}/token", "https://other.test"])
    )
    assert "audience" in rejected(with_assertion(xc, token))


def test_assertion_with_wrong_sub_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, sub="portal-a"))
    assert "sub" in rejected(with_assertion(xc, token))


def test_assertion_claiming_another_client_is_rejected(xc: ExchangeChain) -> None:
    """Signed with portal-jwt's key, claiming to be portal-inline: only portal-inline's
    own keys may verify it."""
    token = sign(xc.client_key, assertion_claims(xc, iss="portal-inline", sub="portal-inline"))
    assert "unknown key" in rejected(with_assertion(xc, token))


def test_expired_assertion_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, iat=xc.now - 200, exp=xc.now - 100))
    assert "expired" in rejected(with_assertion(xc, token))


def test_assertion_issued_in_the_future_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, iat=xc.now + 120, exp=xc.now + 180))
    assert "iat" in rejected(with_assertion(xc, token))


def test_assertion_not_yet_valid_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, nbf=xc.now + 120))
    assert "nbf" in rejected(with_assertion(xc, token))


def test_long_lived_assertion_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, exp=xc.now + 3600))
    assert "longer" in rejected(with_assertion(xc, token))


def test_assertion_without_jti_is_rejected(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, jti=None))
    assert "jti" in rejected(with_assertion(xc, token))


def test_replayed_assertion_is_rejected(xc: ExchangeChain) -> None:
    token = xc.client_assertion()
    assert with_assertion(xc, token).json()["error"] == "invalid_grant"
    assert "already used" in rejected(with_assertion(xc, token))


def test_access_token_typed_jwt_is_not_a_client_assertion(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc), {"typ": "at+jwt"})
    rejected(with_assertion(xc, token))


def test_secret_client_cannot_use_private_key_jwt(xc: ExchangeChain) -> None:
    token = sign(xc.client_key, assertion_claims(xc, iss="portal-a", sub="portal-a"))
    rejected(with_assertion(xc, token))


def test_private_key_jwt_client_cannot_use_a_secret(xc: ExchangeChain) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=("portal-jwt", ""),
        verify=TRUSTED,
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Basic")


def test_assertion_together_with_basic_is_invalid_request(xc: ExchangeChain) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "x",
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": xc.client_assertion(),
        },
        auth=("portal-a", "portal-a-secret"),
        verify=TRUSTED,
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_wrong_assertion_type_is_rejected(xc: ExchangeChain) -> None:
    response = with_assertion(xc, xc.client_assertion(), client_assertion_type="urn:x:saml")
    rejected(response)


def test_malformed_assertion_is_rejected(xc: ExchangeChain) -> None:
    for garbage in ("", "x", "a.b.c", "e30.e30.e30"):
        rejected(with_assertion(xc, garbage))


def test_client_id_differing_from_the_assertion_is_invalid_request(xc: ExchangeChain) -> None:
    response = with_assertion(xc, xc.client_assertion(), client_id="portal-inline")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
