"""Verify tokens the bridge itself issued: access tokens (RFC 9068 §4) and ID tokens
(OIDC Core §2), the latter only as RFC 8693 subject or actor tokens.

Strict by construction: the algorithm must be the one of the key named by `kid`
(no `alg: none`, no HS256-with-a-public-key confusion), `typ` must say which kind of
token it is, and `iss`, `aud`, `exp`, `nbf` and `iat` are checked against the
injected clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from bridge.clock import Clock
from bridge.errors import InvalidTokenError
from bridge.signing.keyset import KeySet
from bridge.wire import JWT_TYPE_ACCESS_TOKEN, JWT_TYPE_ID_TOKEN

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


def peek_claims(token: str) -> dict[str, Any] | None:
    """The unverified claims of a compact JWS: only to choose who must verify it."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = json.loads(extract_compact(token.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError):
        return None
    return payload if isinstance(payload, dict) else None


class AccessTokenVerifier:
    def __init__(
        self, issuer: str, keys: Callable[[], KeySet], clock: Clock, *, leeway: int = 0
    ) -> None:
        self._issuer = issuer
        self._keys = keys
        self._clock = clock
        self._leeway = leeway

    def _signed_claims(self, token: str, typ: str, noun: str) -> dict[str, Any]:
        if len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError(f"The {noun} is malformed", detail="oversized token")
        try:
            header = extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise InvalidTokenError(f"The {noun} is malformed", detail=str(exc)) from None
        key = self._keys().by_kid(str(header.get("kid", "")))
        if key is None or header.get("alg") != key.alg:
            raise InvalidTokenError(
                f"The {noun} is invalid", detail=f"unknown kid or alg: {header!r:.200}"
            )
        if header.get("typ") != typ:
            raise InvalidTokenError(f"The {noun} is invalid", detail=f"typ is not {typ}")
        try:
            return dict(jwt.decode(token, key.key, algorithms=[key.alg]).claims)
        except (JoseError, ValueError) as exc:
            raise InvalidTokenError(f"The {noun} is invalid", detail=str(exc)) from None

    def _validate(self, claims: dict[str, Any], noun: str, audience: dict[str, Any] | None) -> None:
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self._issuer},
            "exp": {"essential": True},
            "sub": {"essential": True},
        }
        if audience is not None:
            options["aud"] = audience
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(self._clock.now()), leeway=self._leeway, **options
        )
        try:
            registry.validate(claims)
        except JoseError as exc:
            raise InvalidTokenError(f"The {noun} is invalid or expired", detail=str(exc)) from None

    def verify(self, token: str, *, any_audience: bool = False) -> AccessToken:
        """An access token for the bridge itself (`aud` = issuer), or, with
        `any_audience`, one minted by token exchange for another audience."""
        claims = self._signed_claims(token, JWT_TYPE_ACCESS_TOKEN, "access token")
        audience = None if any_audience else {"essential": True, "value": self._issuer}
        self._validate(claims, "access token", audience)
        for name in ("client_id", "gid", "scope", "jti"):
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

    def verify_id_token_hint(self, token: str) -> dict[str, Any]:
        """An ID token the bridge issued, presented as `id_token_hint` at logout: the
        signature and `iss` are checked, `exp` is not (RP-Initiated Logout 1.0 §2: an
        expired hint is still accepted), and it must name a client and a session."""
        claims = self._signed_claims(token, JWT_TYPE_ID_TOKEN, "ID token")
        if claims.get("iss") != self._issuer:
            raise InvalidTokenError("The ID token is invalid", detail="iss differs")
        aud = claims.get("aud")
        if not (isinstance(aud, str) or (isinstance(aud, list) and aud)):
            raise InvalidTokenError("The ID token is invalid", detail="no aud")
        return claims

    def verify_id_token(self, token: str) -> dict[str, Any]:
        """The claims of an ID token the bridge issued, to any of its clients."""
        claims = self._signed_claims(token, JWT_TYPE_ID_TOKEN, "ID token")
        self._validate(claims, "ID token", {"essential": True})
        if not isinstance(claims.get("gid"), str):
            raise InvalidTokenError("The ID token is invalid", detail="no gid")
        return claims
