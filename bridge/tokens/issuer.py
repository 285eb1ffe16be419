"""Mint ID tokens (OIDC Core §2, §3.1.3.6) and JWT access tokens (RFC 9068)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Sequence
from typing import Any

from joserfc import jwt

from bridge.clock import Clock
from bridge.signing.keyset import KeySet
from bridge.wire import JWT_TYPE_ACCESS_TOKEN


def left_half_hash(value: str) -> str:
    """`at_hash` (OIDC Core §3.1.3.6) for SHA-256-based algorithms."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(self, issuer: str, keys: Callable[[], KeySet], clock: Clock) -> None:
        self.issuer = issuer
        self._keys = keys
        self._clock = clock

    def _sign(self, claims: dict[str, Any], typ: str) -> str:
        key = self._keys().active
        header = {"alg": key.alg, "kid": key.kid, "typ": typ}
        return jwt.encode(header, claims, key.key, algorithms=[key.alg])

    def access_token(
        self,
        *,
        client_id: str,
        subject: str,
        scopes: Sequence[str],
        grant_id: str,
        auth_time: int,
        acr: str | None,
        ttl: int,
        audience: str | Sequence[str] | None = None,
    ) -> str:
        now = int(self._clock.now())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": audience if audience is not None else self.issuer,
            "client_id": client_id,
            "scope": " ".join(scopes),
            "iat": now,
            "exp": now + ttl,
            "auth_time": auth_time,
            "jti": secrets.token_urlsafe(16),
            "gid": grant_id,
        }
        if acr:
            claims["acr"] = acr
        return self._sign(claims, JWT_TYPE_ACCESS_TOKEN)

    def id_token(
        self,
        *,
        client_id: str,
        subject: str,
        nonce: str | None,
        auth_time: int,
        acr: str | None,
        ttl: int,
        access_token: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> str:
        now = int(self._clock.now())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": subject,
            "aud": client_id,
            "azp": client_id,
            "iat": now,
            "exp": now + ttl,
            "auth_time": auth_time,
        }
        if nonce is not None:
            claims["nonce"] = nonce
        if acr:
            claims["acr"] = acr
        if access_token is not None:
            claims["at_hash"] = left_half_hash(access_token)
        if extra:
            claims.update(extra)
        return self._sign(claims, "JWT")
