"""The header rules of bridge/tokens/jose_rules.py, on real signed tokens."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jws
from joserfc.jwk import ECKey, OctKey, RSAKey

from bridge.tokens.jose_rules import JwtRejected, read_header, select_key


def _token(header: dict[str, Any], key: Any) -> str:
    return jws.serialize_compact(header, b'{"sub":"u"}', key, algorithms=[header["alg"]])


def test_an_asymmetric_algorithm_left_out_of_the_allow_list_is_refused() -> None:
    token = _token({"alg": "RS256"}, RSAKey.generate_key(2048))
    with pytest.raises(JwtRejected, match="algorithm is not accepted"):
        read_header(token, ["ES256"])


def test_an_hmac_algorithm_is_refused_even_when_configured() -> None:
    # Algorithm confusion (RFC 8725 §2.1): HS256 must never reach key selection.
    token = _token({"alg": "HS256"}, OctKey.generate_key(256))
    with pytest.raises(JwtRejected, match="algorithm is not accepted"):
        read_header(token, ["HS256", "ES256"])


def test_a_token_without_a_kid_passes_the_header_rules() -> None:
    token = _token({"alg": "ES256"}, ECKey.generate_key("P-256"))
    assert read_header(token, ["ES256"]) == {"alg": "ES256"}


@pytest.mark.parametrize("kid", ["", "k" * 257])
def test_an_empty_or_overlong_kid_is_refused(kid: str) -> None:
    token = _token({"alg": "ES256", "kid": kid}, ECKey.generate_key("P-256"))
    with pytest.raises(JwtRejected, match="key id is malformed"):
        read_header(token, ["ES256"])


def test_a_kid_of_256_characters_is_accepted() -> None:
    token = _token({"alg": "ES256", "kid": "k" * 256}, ECKey.generate_key("P-256"))
    assert read_header(token, ["ES256"])["kid"] == "k" * 256


def _public(use: str | None = None, alg: str | None = None) -> ECKey:
    params: dict[str, Any] = {"kid": "a"}
    if use:
        params["use"] = use
    if alg:
        params["alg"] = alg
    return ECKey.import_key(ECKey.generate_key("P-256").as_dict(private=False) | params)


def test_a_key_published_for_encryption_is_not_chosen_to_verify() -> None:
    assert select_key([_public(use="enc")], {"alg": "ES256", "kid": "a"}) is None
    assert select_key([_public(use="sig")], {"alg": "ES256", "kid": "a"}) is not None


def test_a_key_published_for_another_algorithm_is_not_chosen() -> None:
    assert select_key([_public(alg="ES384")], {"alg": "ES256", "kid": "a"}) is None
    assert select_key([_public(alg="ES256")], {"alg": "ES256", "kid": "a"}) is not None
