"""What the bridge's tokens must carry, checked against the specs' own definitions rather
than against the bridge's helpers (mutation testing found both unguarded)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import jwt as pyjwt

from bridge.clock import ManualClock
from bridge.signing.keys import new_signing_key
from bridge.signing.keyset import KeySet
from bridge.tokens.issuer import TokenIssuer

ISSUER = "https://bridge.test"
NOW = 1_800_000_000


def _issuer() -> tuple[TokenIssuer, Any]:
    key = new_signing_key("ES256", created_at=NOW, development=True)
    return TokenIssuer(ISSUER, lambda: KeySet(key), ManualClock(NOW)), key


def _claims(token: str, key: Any, audience: str) -> dict[str, Any]:
    public = pyjwt.PyJWK(key.public_jwk()).key
    # The tokens are minted on a manual clock; the signature and audience are checked.
    times_off = {"verify_exp": False, "verify_iat": False, "verify_nbf": False}
    claims: dict[str, Any] = pyjwt.decode(
        token, public, algorithms=["ES256"], audience=audience, options=times_off
    )
    return claims


def test_an_access_token_carries_every_claim_rfc_9068_requires() -> None:
    issuer, key = _issuer()
    token = issuer.access_token(
        client_id="portal",
        subject="pairwise-sub",
        scopes=["openid"],
        grant_id="g-1",
        auth_time=NOW - 5,
        acr="L2",
        ttl=600,
    )
    claims = _claims(token, key, ISSUER)
    # RFC 9068 §2.2: iss, exp, aud, sub, client_id, iat, jti; §2.2.1: auth_time, acr
    assert claims["iss"] == ISSUER and claims["sub"] == "pairwise-sub"
    assert claims["client_id"] == "portal" and claims["jti"]
    assert claims["iat"] == NOW and claims["exp"] == NOW + 600
    assert claims["auth_time"] == NOW - 5 and claims["acr"] == "L2"


def test_the_at_hash_is_the_left_half_of_the_access_tokens_sha_256() -> None:
    issuer, key = _issuer()
    access_token = "an-access-token-value"
    token = issuer.id_token(
        client_id="portal",
        subject="pairwise-sub",
        nonce="n-1",
        auth_time=NOW,
        acr=None,
        ttl=600,
        access_token=access_token,
    )
    digest = hashlib.sha256(access_token.encode()).digest()  # OIDC Core §3.1.3.6
    expected = base64.urlsafe_b64encode(digest[:16]).decode().rstrip("=")
    assert _claims(token, key, "portal")["at_hash"] == expected
