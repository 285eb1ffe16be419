"""One signing key: its private half, its public JWK and its RFC 7638 thumbprint kid.

Algorithms (RFC 7518 §3, RFC 8037 §3.1, RFC 9864 §2.2): ES256 (P-256, the default:
fast to sign and verify), RS256 (RSA-2048, for verifiers that know nothing else) and
Ed25519 keys, published either as `EdDSA` (RFC 8037, what today's verifiers accept) or
as `Ed25519` (RFC 9864's fully specified name, which deprecates `EdDSA`).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any, get_args

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, OKPKey, RSAKey

from bridge.wire import SigningAlgorithm

Algorithm = SigningAlgorithm
ALGORITHMS: tuple[Algorithm, ...] = get_args(Algorithm)
JoseKey = ECKey | RSAKey | OKPKey
PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey

RSA_KEY_SIZE = 2048  # NIST SP 800-57: acceptable to 2030; RS256 is the compatibility option


_KEY_CLASS: dict[Algorithm, type[JoseKey]] = {
    "ES256": ECKey,
    "RS256": RSAKey,
    "EdDSA": OKPKey,
    "Ed25519": OKPKey,
}


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    alg: Algorithm
    key: JoseKey
    created_at: float
    development: bool

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        jwk.update(kid=self.kid, alg=self.alg, use="sig")
        return jwk


def generate_private_key(alg: Algorithm) -> PrivateKey:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=RSA_KEY_SIZE)
    return ed25519.Ed25519PrivateKey.generate()


def to_pem(private_key: PrivateKey) -> bytes:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _check_fits(key: JoseKey, alg: Algorithm) -> None:
    """A key file could hold any key; the algorithm it is listed under must fit it."""
    if not key.is_private:
        raise ValueError("a signing key file must hold a private key")
    if not isinstance(key, _KEY_CLASS[alg]):
        raise ValueError(f"{alg} cannot use a {key.key_type} key")
    params = key.as_dict(private=False)
    if alg == "ES256" and params.get("crv") != "P-256":
        raise ValueError("ES256 needs a P-256 key")
    if alg in ("EdDSA", "Ed25519") and params.get("crv") != "Ed25519":
        raise ValueError(f"{alg} needs an Ed25519 key")
    if alg == "RS256" and isinstance(key, RSAKey) and key.raw_value.key_size < RSA_KEY_SIZE:
        raise ValueError(f"RS256 needs an RSA key of at least {RSA_KEY_SIZE} bits")


def _signing_key(
    jose_key: JoseKey, alg: Algorithm, *, created_at: float, development: bool
) -> SigningKey:
    _check_fits(jose_key, alg)
    kid = jose_key.thumbprint()  # RFC 7638: derived from the key, so never another key's kid
    params = {**jose_key.as_dict(private=True), "kid": kid, "alg": alg, "use": "sig"}
    return SigningKey(
        kid=kid,
        alg=alg,
        # The key already imported and checked, given its parameters: importing `params`
        # again would validate an RSA key a second time (~40 ms of every RSA key load).
        # (the raw key is of this class's kind: _check_fits checked it against `alg`)
        key=_KEY_CLASS[alg](jose_key.raw_value, params),  # type: ignore[arg-type]
        created_at=created_at,
        development=development,
    )


# Parsed once per process per content. Importing an RSA private key validates it (~33 ms
# of CPU), and the same key files are read again at every key-set change, every restart
# of an app in one process (the tests build one per chain) and in `bridge keys` commands.
# The cache is keyed by the exact bytes (or JWK), so a changed file is parsed and
# validated again; it is small, and holds only keys this process has loaded anyway.
_PARSED_KEYS = 32


@functools.lru_cache(maxsize=_PARSED_KEYS)
def _import_pem(pem: bytes, alg: Algorithm) -> JoseKey:
    try:
        return _KEY_CLASS[alg].import_key(pem)
    except JoseError as exc:  # a key of another kind: a start-up problem, not a trace
        raise ValueError(f"{alg} cannot use this key: {exc}") from None


@functools.lru_cache(maxsize=_PARSED_KEYS)
def _import_jwk(canonical_jwk: str) -> JoseKey:
    key: JoseKey = JWKRegistry.import_key(json.loads(canonical_jwk))  # type: ignore[assignment]
    return key


def load_signing_key(
    pem: bytes, alg: Algorithm, *, created_at: float, development: bool
) -> SigningKey:
    """A key from a PKCS#8 PEM file (development keys, and keys from before encryption)."""
    return _signing_key(_import_pem(pem, alg), alg, created_at=created_at, development=development)


def signing_key_from_jwk(
    jwk: dict[str, Any], alg: Algorithm, *, created_at: float, development: bool = False
) -> SigningKey:
    """A key from its private JWK (what an encrypted key file holds, RFC 7517 §7)."""
    jose_key = _import_jwk(json.dumps(jwk, sort_keys=True))
    if not isinstance(jose_key, _KEY_CLASS[alg]):
        raise ValueError(f"{alg} cannot use a {jose_key.key_type} key")
    return _signing_key(jose_key, alg, created_at=created_at, development=development)


def new_signing_key(alg: Algorithm, *, created_at: float, development: bool) -> SigningKey:
    private_key = generate_private_key(alg)
    # Built from the key just made, not re-imported from its PEM: the import would
    # validate a key that cryptography has only now generated (~33 ms for RSA).
    jose_key = _KEY_CLASS[alg](private_key, to_pem(private_key))  # type: ignore[arg-type]
    return _signing_key(jose_key, alg, created_at=created_at, development=development)
