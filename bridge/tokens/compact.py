"""Compact JWS serialization (RFC 7515 §7.1) of the tokens the bridge mints, signed with
`cryptography` directly.

Why not joserfc's `jwt.encode` here: it re-validates a header and claims the bridge
built itself and serializes them through the standard `json` module; for one ES256
access token that was ~60 µs of ~120 µs (in-process, bench/README.md "Where the time
goes"), and code redemption signs two tokens. Only signing moves: every token the
bridge *verifies* still goes through joserfc, since that input is untrusted.

Signatures as RFC 7518 defines them: ES256 is R‖S, each 32 bytes big-endian (§3.4),
not DER; RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (§3.3); EdDSA and Ed25519 are Ed25519
over the signing input (RFC 8037 §3.1).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

import orjson
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from bridge.signing.keys import SigningKey

_P256_SIZE = 32


def b64url(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _signature(key: SigningKey, signing_input: bytes) -> bytes:
    private = key.key.private_key
    if key.alg == "ES256" and isinstance(private, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(private.sign(signing_input, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(_P256_SIZE, "big") + s.to_bytes(_P256_SIZE, "big")
    if key.alg == "RS256" and isinstance(private, rsa.RSAPrivateKey):
        return private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    if key.alg in ("EdDSA", "Ed25519") and isinstance(private, ed25519.Ed25519PrivateKey):
        return private.sign(signing_input)
    # keys.py checks each key fits its algorithm when it is loaded; this cannot happen
    raise ValueError(f"cannot sign {key.alg} with {type(private).__name__}")


def sign_compact(header: Mapping[str, Any], claims: Mapping[str, Any], key: SigningKey) -> str:
    """`header` must name `key.alg`; the caller builds it (alg, kid, typ)."""
    if header.get("alg") != key.alg:
        raise ValueError(f"header alg {header.get('alg')!r} is not the key's {key.alg}")
    signing_input = b64url(orjson.dumps(header)) + b"." + b64url(orjson.dumps(claims))
    return (signing_input + b"." + b64url(_signature(key, signing_input))).decode("ascii")
