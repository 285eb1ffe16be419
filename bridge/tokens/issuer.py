"""Mint ID tokens (OIDC Core §2, §3.1.3.6) and JWT access tokens (RFC 9068)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from joserfc import jwt

from bridge.clock import Clock
from bridge.signing.keyset import KeySet
from bridge.wire import BACKCHANNEL_LOGOUT_EVENT, JWT_TYPE_ACCESS_TOKEN, JWT_TYPE_LOGOUT_TOKEN


def left_half_hash(value: str) -> str:
    """`at_hash` (OIDC Core §3.1.3.6) for SHA-256-based algorithms."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode()


class TokenIssuer:
    def __init__(self, issuer: str, keys: Callable[[], KeySet], clock: Clock) -> None:
        self.issuer = issuer
        self._keys = keys
        self._clock = clock

    def _sign(self, claims: dict[str, Any], typ: str, alg: str | None = None) -> str:
        """Signed with the active key of `alg` (None: the bridge's default algorithm)."""
        key = self._keys().signer(alg)
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
        extra: Mapping[str, Any] | None = None,
        alg: str | None = None,
    ) -> str:
        """`extra` adds claims such as RFC 8693 §4.1 `act`; it cannot replace the
        registered ones. `alg` is the audience's choice (RFC 9068 §4: RS256 is always
        available)."""
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
        for name, value in (extra or {}).items():
            claims.setdefault(name, value)
        return self._sign(claims, JWT_TYPE_ACCESS_TOKEN, alg)

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
        grant_id: str | None = None,
        alg: str | None = None,
    ) -> str:
        """`alg`: the client's `id_token_signed_response_alg`."""
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
        if grant_id is not None:
            # Lets the ID token serve as an RFC 8693 subject token while its grant lives.
            claims["gid"] = grant_id
        if extra:
            claims.update(extra)
        return self._sign(claims, "JWT", alg)

    def logout_token(
        self, *, client_id: str, subject: str, sid: str, ttl: int, alg: str | None = None
    ) -> str:
        """OIDC Back-Channel Logout §2.4: `events` names the logout, never a `nonce`."""
        now = int(self._clock.now())
        claims = {
            "iss": self.issuer,
            "aud": client_id,
            "iat": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(16),
            "sub": subject,
            "sid": sid,
            "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
        }
        return self._sign(claims, JWT_TYPE_LOGOUT_TOKEN, alg)

    def userinfo(self, *, client_id: str, claims: Mapping[str, Any], alg: str) -> str:
        """A signed UserInfo response (OIDC Core §5.3.2): the claims, with `iss` and
        `aud` so the client can tell it was meant for it."""
        now = int(self._clock.now())
        return self._sign({**claims, "iss": self.issuer, "aud": client_id, "iat": now}, "JWT", alg)

    def grant_assertion(
        self,
        *,
        subject: str,
        audience: str,
        ttl: int,
        extra: Mapping[str, Any] | None = None,
        alg: str | None = None,
    ) -> str:
        """A JWT for the RFC 7523 §2.1 authorization grant: the bridge (`iss`) vouches
        for `sub` to the authorization server `aud` (§3: exp, iat, jti)."""
        now = int(self._clock.now())
        claims: dict[str, Any] = {
            **(extra or {}),
            "iss": self.issuer,
            "sub": subject,
            "aud": audience,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": secrets.token_urlsafe(24),
        }
        return self._sign(claims, "JWT", alg)
