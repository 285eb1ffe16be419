"""Verifying an OpenID Provider's ID tokens: OIDC Core 1.0 §3.1.3.7, with joserfc for the
signature and Authlib's `CodeIDToken` for the claim rules, both unmodified.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry

# Only asymmetric algorithms: an HMAC "signature" would be keyed with our own client
# secret (algorithm confusion), and `none` is no signature at all.
SAFE_ALGORITHMS = frozenset(
    {"ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"}
)
CLOCK_SKEW = 60
"""Seconds of clock difference tolerated between containers."""


def validate_id_token(
    id_token: str,
    *,
    jwks: Mapping[str, Any],
    issuer: str,
    client_id: str,
    nonce: str,
    algorithms: Sequence[str],
    now: int,
    access_token: str | None = None,
) -> dict[str, Any]:
    """The verified claims of an ID token (OIDC Core §3.1.3.7), else `JoseError`.

    `InvalidKeyIdError` means the signing key is not in `jwks`: fetch it again (the
    provider may have rotated its keys) and retry once.
    """
    allowed = [alg for alg in algorithms if alg in SAFE_ALGORITHMS]
    if not allowed:
        raise JoseError("no acceptable ID token signing algorithm")
    registry = JWSRegistry(algorithms=allowed, strict_check_header=False)
    token = jwt.decode(
        id_token, KeySet.import_key_set(cast(KeySetSerialization, dict(jwks))), registry=registry
    )
    options = {
        "iss": {"essential": True, "value": issuer},
        "aud": {"essential": True, "value": client_id},
        "exp": {"essential": True},
        "nonce": {"essential": True, "value": nonce},
    }
    params = {"nonce": nonce, "client_id": client_id, "access_token": access_token}
    claims = CodeIDToken(token.claims, token.header, options, params)
    claims.validate(now=now, leeway=CLOCK_SKEW)
    return dict(token.claims)
