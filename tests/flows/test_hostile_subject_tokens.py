"""Hostile subject and actor tokens in a token exchange (RFC 8693 §2.2.2, RFC 8725):
each attack is refused with `invalid_request` (400) and no token is issued."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
import pytest

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    JWT_TYPE,
    PARTNER,
    ExchangeChain,
    new_key,
    sign,
)
from tests.support.forge import hs256, public_pem, unsigned

NOT_A_BRIDGE_TOKEN = "The subject_token is not acceptable: it is invalid, expired or revoked"
"""What a forged copy of a live bridge token gets: refused at its signature, before its
grant is looked up (an unknown grant is "it has been revoked")."""


def partner_claims(xc: ExchangeChain, **overrides: Any) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": PARTNER,
        "sub": "partner-user-9",
        "aud": xc.bridge,
        "iat": xc.now,
        "exp": xc.now + 300,
        "jti": f"jti-{xc.now}-{len(overrides)}-{sorted(overrides)}",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def refused(xc: ExchangeChain, subject_token: str, token_type: str = JWT_TYPE) -> str:
    response = xc.exchange(
        subject_token=subject_token, subject_token_type=token_type, audience="yss-records"
    )
    assert response.status_code == 400, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "invalid_request", body
    assert "access_token" not in body
    return str(body["error_description"])


def live_access_token(xc: ExchangeChain) -> tuple[str, dict[str, Any]]:
    """A real access token of a live grant, and its claims: a forgery that copies them
    is refused for its signature alone, never for naming an unknown grant."""
    token = str(xc.sign_in("portal-a", scope="openid profile")["access_token"])
    return token, jwt.decode(token, options={"verify_signature": False})


def test_the_genuine_token_of_the_grant_is_accepted(xc: ExchangeChain) -> None:
    """The control for the forgeries below: the same claims, really signed, pass."""
    token, _ = live_access_token(xc)
    response = xc.exchange(
        subject_token=token, subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-records"
    )
    assert response.status_code == 200, response.text


def test_alg_none_subject_token_is_refused(xc: ExchangeChain) -> None:
    assert "algorithm" in refused(xc, unsigned(partner_claims(xc), kid=xc.partner_key.kid))


def test_alg_none_bridge_access_token_is_refused(xc: ExchangeChain) -> None:
    _, claims = live_access_token(xc)
    token = unsigned(claims, typ="at+jwt")
    assert refused(xc, token, ACCESS_TOKEN_TYPE) == NOT_A_BRIDGE_TOKEN


def test_hs256_signed_with_the_bridges_public_key_is_refused(xc: ExchangeChain) -> None:
    _, claims = live_access_token(xc)
    jwk = httpx.get(f"{xc.bridge}/jwks.json").json()["keys"][0]
    token = hs256(claims, public_pem(jwk), kid=jwk["kid"], typ="at+jwt")
    assert refused(xc, token, ACCESS_TOKEN_TYPE) == NOT_A_BRIDGE_TOKEN


def test_hs256_signed_with_the_partners_public_key_is_refused(xc: ExchangeChain) -> None:
    jwk = dict(xc.partner_key.as_dict(private=False))
    token = hs256(partner_claims(xc), public_pem(jwk), kid=xc.partner_key.kid)
    assert "algorithm" in refused(xc, token)


@pytest.mark.parametrize("header", ["jwk", "jku", "x5u", "x5c"])
def test_token_naming_its_own_key_in_the_header_is_refused(xc: ExchangeChain, header: str) -> None:
    attacker = new_key(kid=xc.partner_key.kid)
    value: Any = {
        "jwk": dict(attacker.as_dict(private=False)),
        "jku": "https://attacker.test/jwks.json",
        "x5u": "https://attacker.test/cert.pem",
        "x5c": ["MIIB"],
    }[header]
    token = sign(attacker, partner_claims(xc), {header: value})
    assert "names its own key" in refused(xc, token)


@pytest.mark.parametrize("kid", ["../../../../dev/null", "/etc/passwd", "https://attacker.test/k"])
def test_kid_path_and_url_tricks_are_an_unknown_key(xc: ExchangeChain, kid: str) -> None:
    token = sign(new_key(kid=kid), partner_claims(xc))
    assert "unknown key" in refused(xc, token)


def test_token_signed_with_a_foreign_key_under_a_known_kid_is_refused(xc: ExchangeChain) -> None:
    impostor = new_key(kid=xc.partner_key.kid)
    assert "signature" in refused(xc, sign(impostor, partner_claims(xc)))


def test_untrusted_issuer_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, iss="https://evil.test"))
    assert "issuer" in refused(xc, token)


def test_wrong_audience_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, aud="https://someone-else.test"))
    assert "audience" in refused(xc, token)


def test_expired_subject_token_is_refused(xc: ExchangeChain) -> None:
    claims = partner_claims(xc, iat=xc.now - 600, exp=xc.now - 100)
    assert "expired" in refused(xc, sign(xc.partner_key, claims))


def test_nbf_in_the_future_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, nbf=xc.now + 120))
    assert "nbf" in refused(xc, token)


def test_iat_in_the_future_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, iat=xc.now + 120, exp=xc.now + 400))
    assert "iat" in refused(xc, token)


def test_subject_token_living_longer_than_the_issuer_allows_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, exp=xc.now + 7200))
    assert "longer" in refused(xc, token)


def test_missing_jti_is_refused_for_a_single_use_issuer(xc: ExchangeChain) -> None:
    assert "jti" in refused(xc, sign(xc.partner_key, partner_claims(xc, jti=None)))


def test_replayed_jti_is_refused(xc: ExchangeChain) -> None:
    token = sign(xc.partner_key, partner_claims(xc, jti="replay-me"))
    first = xc.exchange(subject_token=token, subject_token_type=JWT_TYPE, audience="yss-records")
    assert first.status_code == 200, first.text
    assert "already" in refused(xc, token)


def test_tampered_bridge_access_token_is_refused(xc: ExchangeChain) -> None:
    token = xc.sign_in("portal-a", scope="openid profile")["access_token"]
    header, payload, signature = token.split(".")
    tampered = f"{header}.{payload[:-4]}AAAA.{signature}"
    refused(xc, tampered, ACCESS_TOKEN_TYPE)


def test_token_type_that_does_not_match_the_token_is_refused(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", scope="openid profile")
    description = refused(xc, tokens["id_token"], "urn:ietf:params:oauth:token-type:access_token")
    assert "subject_token_type" in description


def test_refresh_token_as_subject_token_is_refused(xc: ExchangeChain) -> None:
    refresh = xc.sign_in("portal-a")["refresh_token"]
    refused(xc, refresh, "urn:ietf:params:oauth:token-type:refresh_token")


def test_subject_token_issued_to_another_client_is_refused_where_the_policy_forbids_it(
    xc: ExchangeChain,
) -> None:
    """portal-b's policy names no other client: portal-a's token is not its to exchange
    (the hole of Keycloak #51000)."""
    theirs = xc.sign_in("portal-a", scope="openid profile")["access_token"]
    response = xc.exchange(
        "portal-b",
        subject_token=theirs,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-api",
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_request",
        "error_description": "The subject_token was issued to another client",
    }


def test_actor_token_that_may_act_does_not_name_is_refused(xc: ExchangeChain) -> None:
    subject = xc.partner_token(may_act={"sub": "portal-service"})
    actor = xc.partner_token(sub="some-other-service")
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=JWT_TYPE,
        actor_token=actor,
        actor_token_type=JWT_TYPE,
        audience="yss-records",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "may_act" in response.json()["error_description"]


def test_actor_token_from_a_client_not_allowed_to_delegate_is_refused(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-b", scope="openid profile")
    response = xc.exchange(
        "portal-b",
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        actor_token=xc.partner_token(sub="portal-service"),
        actor_token_type=JWT_TYPE,
        audience="yss-api",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "actor_token" in response.json()["error_description"]


def test_revoked_grant_makes_its_access_token_unusable_as_subject_token(
    xc: ExchangeChain,
) -> None:
    tokens = xc.sign_in("portal-a")
    revoked = xc.post("/revoke", {"token": tokens["refresh_token"]})
    assert revoked.status_code == 200
    assert "revoked" in refused(xc, tokens["access_token"], ACCESS_TOKEN_TYPE)
