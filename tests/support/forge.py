"""Hand-made JWTs for hostile-input tests: built byte by byte, so no JOSE library's own
guard can stop a test from sending exactly the attack it names."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def segment(obj: dict[str, Any]) -> str:
    return b64(json.dumps(obj, separators=(",", ":")).encode())


def unsigned(claims: dict[str, Any], **header: Any) -> str:
    """`alg: none` (RFC 7519 §6): no signature at all."""
    return f"{segment({'alg': 'none', **header})}.{segment(claims)}."


def hs256(claims: dict[str, Any], secret: bytes, **header: Any) -> str:
    """HMAC "signed" with `secret` — in the attack, a public key the verifier knows."""
    signing_input = f"{segment({'alg': 'HS256', **header})}.{segment(claims)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(mac)}"


def public_pem(jwk: dict[str, Any]) -> bytes:
    """The PEM of a published EC key: what an algorithm-confusion attacker HMACs with."""
    key = ECKey.import_key(jwk).public_key
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
