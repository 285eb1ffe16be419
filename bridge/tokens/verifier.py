"""Verify access tokens the bridge itself issued (RFC 9068 §4).

Strict by construction: the algorithm must be the one of the key named by `kid`
(no `alg: none`, no HS256-with-a-public-key confusion), `typ` must be `at+jwt`,
and `iss`, `aud`, `exp`, `nbf` and `iat` are checked against the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from bridge.clock import Clock
from bridge.errors import InvalidTokenError
from bridge.signing.keyset import KeySet
from bridge.wire import JWT_TYPE_ACCESS_TOKEN

MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class AccessToken:
    subject: str
    client_id: str
    scopes: tuple[str, ...]
    grant_id: str
    jti: str
    expires_at: int
    claims: dict[str, Any]


class AccessTokenVerifier:
    def __init__(
        self, issuer: str, keys: Callable[[], KeySet], clock: Clock, *, leeway: int = 0
    ) -> None:
        self._issuer = issuer
        self._keys = keys
        self._clock = clock
        self._leeway = leeway

    def verify(self, token: str) -> AccessToken:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("The access token is malformed", detail="oversized token")
        try:
            header = extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise InvalidTokenError("The access token is malformed", detail=str(exc)) from None
        key = self._keys().by_kid(str(header.get("kid", "")))
        if key is None or header.get("alg") != key.alg:
            raise InvalidTokenError(
                "The access token is invalid", detail=f"unknown kid or alg: {header!r}"
            )
        if header.get("typ") != JWT_TYPE_ACCESS_TOKEN:
            raise InvalidTokenError("The access token is invalid", detail="typ is not at+jwt")
        try:
            decoded = jwt.decode(token, key.key, algorithms=[key.alg])
        except (JoseError, ValueError) as exc:
            raise InvalidTokenError("The access token is invalid", detail=str(exc)) from None
        claims = decoded.claims
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock.now()),
            leeway=self._leeway,
            iss={"essential": True, "value": self._issuer},
            aud={"essential": True, "value": self._issuer},
            exp={"essential": True},
            sub={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidTokenError(
                "The access token is invalid or expired", detail=str(exc)
            ) from None
        for name in ("client_id", "gid", "scope"):
            if not isinstance(claims.get(name), str):
                raise InvalidTokenError("The access token is invalid", detail=f"no {name}")
        return AccessToken(
            subject=claims["sub"],
            client_id=claims["client_id"],
            scopes=tuple(claims["scope"].split()),
            grant_id=claims["gid"],
            jti=claims["jti"],
            expires_at=int(claims["exp"]),
            claims=claims,
        )
