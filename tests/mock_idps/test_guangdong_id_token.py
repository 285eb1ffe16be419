"""ID token validation of the platform's OIDC client (OIDC Core 1.0 §3.1.3.7).

Tokens are signed here with keys made for the test; the checks are the ones the
platform applies to the bridge's real tokens.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import ECKey, KeySet, OctKey

from mock_idps.guangdong.id_token import validate_id_token

ISSUER = "https://bridge.example"
CLIENT = "gd-platform-dev"
NONCE = "n-0123456789"
NOW = 1_800_000_000
KEY = ECKey.generate_key("P-256", parameters={"kid": "k1"})
JWKS: dict[str, Any] = dict(KeySet([KEY]).as_dict(private=False))


def claims(**changes: Any) -> dict[str, Any]:
    base = {
        "iss": ISSUER,
        "sub": "pairwise-wong",
        "aud": CLIENT,
        "exp": NOW + 300,
        "iat": NOW,
        "nonce": NONCE,
        "acr": "L2",
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


def sign(payload: dict[str, Any], key: Any = KEY, alg: str = "ES256", kid: str = "k1") -> str:
    return jwt.encode({"alg": alg, "kid": kid}, payload, key)


def validate(token: str, **changes: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "jwks": JWKS,
        "issuer": ISSUER,
        "client_id": CLIENT,
        "nonce": NONCE,
        "algorithms": ["ES256"],
        "now": NOW,
        **changes,
    }
    return validate_id_token(token, **options)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_valid_token_gives_its_claims() -> None:
    assert validate(sign(claims()))["acr"] == "L2"


def test_audience_may_be_a_list_with_azp() -> None:
    assert validate(sign(claims(aud=[CLIENT, "other"], azp=CLIENT)))["sub"] == "pairwise-wong"


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://attacker.example"},
        {"iss": None},
        {"aud": "another-client"},
        {"aud": None},
        {"nonce": "replayed"},
        {"nonce": None},
        {"exp": NOW - 61},
        {"exp": None},
        {"sub": None},
        {"aud": [CLIENT, "other"], "azp": "other"},
    ],
)
def test_wrong_or_missing_claims_are_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(JoseError):
        validate(sign(claims(**changes)))


def test_small_clock_skew_is_tolerated() -> None:
    assert validate(sign(claims(exp=NOW - 30)))


def test_signature_by_another_key_is_rejected() -> None:
    other = ECKey.generate_key("P-256", parameters={"kid": "k1"})
    with pytest.raises(JoseError):
        validate(sign(claims(), key=other))


def test_unknown_kid_asks_for_a_fresh_key_set() -> None:
    rotated = ECKey.generate_key("P-256", parameters={"kid": "k2"})
    with pytest.raises(InvalidKeyIdError):
        validate(sign(claims(), key=rotated, kid="k2"))


def test_alg_none_is_rejected_even_if_advertised() -> None:
    header = b64(json.dumps({"alg": "none"}).encode())
    payload = b64(json.dumps(claims()).encode())
    with pytest.raises(JoseError):
        validate(f"{header}.{payload}.", algorithms=["none", "ES256"])


def test_hmac_signed_token_is_rejected_even_if_advertised() -> None:
    """Algorithm confusion: an HS256 token keyed with a shared secret is never accepted."""
    secret = OctKey.import_key("test-bridge-secret-0123456789abcdef")
    token = sign(claims(), key=secret, alg="HS256")
    with pytest.raises(JoseError):
        validate(token, algorithms=["HS256", "ES256"])


def test_no_acceptable_algorithm_is_an_error() -> None:
    with pytest.raises(JoseError):
        validate(sign(claims()), algorithms=["HS256"])


def test_at_hash_must_match_the_access_token() -> None:
    digest = hashlib.sha256(b"the-access-token").digest()
    at_hash = b64(digest[:16])
    token = sign(claims(at_hash=at_hash))
    assert validate(token, access_token="the-access-token")
    with pytest.raises(JoseError):
        validate(token, access_token="another-access-token")
