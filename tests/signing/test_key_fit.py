"""A key file is listed under an algorithm; the key in it must be of that algorithm's
kind and size, or loading it fails (a P-256 key listed as RS256 would otherwise sign
under a kid that verifiers take for RSA). In-process, no files."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc import jws
from joserfc.errors import SecurityWarning
from joserfc.jwk import KeySet

from bridge.signing.keys import Algorithm, load_signing_key, to_pem
from bridge.tokens.compact import sign_compact

NOW = 1_800_000_000.0


def _pem(kind: str, bits: int = 2048) -> bytes:
    if kind == "ec":
        return to_pem(ec.generate_private_key(ec.SECP256R1()))
    if kind == "ed25519":
        return to_pem(ed25519.Ed25519PrivateKey.generate())
    return to_pem(rsa.generate_private_key(public_exponent=65537, key_size=bits))


@pytest.mark.parametrize(
    ("alg", "kind"),
    [
        ("RS256", "ec"),
        ("RS256", "ed25519"),
        ("ES256", "rsa"),
        ("ES256", "ed25519"),
        ("Ed25519", "ec"),
    ],
)
def test_a_key_of_another_kind_than_its_algorithm_is_refused(alg: Algorithm, kind: str) -> None:
    with pytest.raises(ValueError, match=f"{alg} (cannot use|needs)"):
        load_signing_key(_pem(kind), alg, created_at=NOW, development=True)


def test_an_rsa_key_under_2048_bits_is_refused_for_rs256() -> None:
    with pytest.warns(SecurityWarning), pytest.raises(ValueError, match="at least 2048 bits"):
        load_signing_key(_pem("rsa", 1024), "RS256", created_at=NOW, development=True)


@pytest.mark.parametrize(
    ("alg", "kind"), [("RS256", "rsa"), ("ES256", "ec"), ("Ed25519", "ed25519")]
)
def test_a_fitting_key_carries_its_thumbprint_kid_and_algorithm(alg: Algorithm, kind: str) -> None:
    key = load_signing_key(_pem(kind), alg, created_at=NOW, development=True)
    assert key.key.kid == key.kid == key.key.thumbprint()
    assert key.key.as_dict(private=False)["alg"] == alg
    assert key.key.is_private
    token = sign_compact({"alg": alg, "kid": key.kid}, {"sub": "s"}, key)
    public = KeySet.import_key_set({"keys": [key.public_jwk()]})
    assert jws.deserialize_compact(token, public, algorithms=[alg]).payload == b'{"sub":"s"}'
