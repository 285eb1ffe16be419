"""The bridge signs its tokens with `cryptography` directly (bridge/tokens/compact.py):
each algorithm it can sign with must give a JWS that two independent libraries verify
with the published key, and a signature that fails once a byte of the token changes."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

import jwt as pyjwt
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, SecurityWarning
from joserfc.jwk import import_key

from bridge.clock import ManualClock
from bridge.signing.keys import ALGORITHMS, Algorithm, new_signing_key
from bridge.signing.keyset import KeySet
from bridge.tokens.issuer import TokenIssuer
from bridge.tokens.verifier import AccessTokenVerifier

ISSUER = "https://bridge.test"
NOW = 1_800_000_000


def minted(alg: Algorithm) -> tuple[str, dict[str, Any]]:
    key = new_signing_key(alg, created_at=NOW, development=True)
    clock = ManualClock(NOW)
    token = TokenIssuer(ISSUER, lambda: KeySet(key), clock).access_token(
        client_id="portal",
        subject="pairwise-sub",
        scopes=["openid", "profile"],
        grant_id="g-1",
        auth_time=NOW - 5,
        acr="L2",
        ttl=600,
        extra={"act": {"sub": "delegate", "nested": ["a", 1]}, "名": "值"},
    )
    return token, key.public_jwk()


def joserfc_decode(token: str, public: dict[str, Any], alg: str) -> dict[str, Any]:
    with warnings.catch_warnings():  # joserfc warns that RFC 9864 deprecates EdDSA
        warnings.simplefilter("ignore", SecurityWarning)
        return dict(jwt.decode(token, import_key(public), algorithms=[alg]).claims)


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_each_algorithm_signs_what_two_other_libraries_verify(alg: Algorithm) -> None:
    token, public = minted(alg)
    header = pyjwt.get_unverified_header(token)
    assert header == {"alg": alg, "kid": public["kid"], "typ": "at+jwt"}
    if alg == "Ed25519":  # RFC 9864's name, which PyJWT does not know: the signature alone
        head, payload, signature = token.encode().split(b".")
        public_key = pyjwt.PyJWK({**public, "alg": "EdDSA"}).key
        public_key.verify(base64.urlsafe_b64decode(signature + b"=="), head + b"." + payload)
        claims = json.loads(base64.urlsafe_b64decode(payload + b"=" * (-len(payload) % 4)))
    else:
        claims = pyjwt.decode(
            token,
            pyjwt.PyJWK(public).key,
            algorithms=[alg],
            audience=ISSUER,
            options={"verify_exp": False, "verify_iat": False},
        )
    assert claims["act"] == {"sub": "delegate", "nested": ["a", 1]}
    assert claims["名"] == "值"
    decoded = joserfc_decode(token, public, alg)
    assert decoded["sub"] == "pairwise-sub"


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_a_changed_token_no_longer_verifies(alg: Algorithm) -> None:
    token, public = minted(alg)
    head, payload, signature = token.split(".")
    forged = f"{head}.{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
    joserfc_decode(token, public, alg)
    with pytest.raises(BadSignatureError):
        joserfc_decode(forged, public, alg)


def test_the_bridges_own_verifier_accepts_what_it_signed() -> None:
    key = new_signing_key("ES256", created_at=NOW, development=True)
    clock = ManualClock(NOW)
    keys = KeySet(key)
    token = TokenIssuer(ISSUER, lambda: keys, clock).access_token(
        client_id="portal",
        subject="s",
        scopes=["api"],
        grant_id="g",
        auth_time=NOW,
        acr=None,
        ttl=60,
    )
    verified = AccessTokenVerifier(ISSUER, lambda: keys, clock).verify(token)
    assert (verified.client_id, verified.grant_id, verified.scopes) == ("portal", "g", ("api",))
