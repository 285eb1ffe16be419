"""Verifying a JWT someone else signed: a client's `private_key_jwt` assertion
(RFC 7523 §3) or a trusted issuer's subject or actor token (RFC 8693 §2.1).

Signature first (with a key from the issuer's own key source, under the rules of
`jose_rules`), then every claim the caller expects: `iss` exact, `aud` naming us (and,
when `exclusive_audience`, nothing else), `exp` required and in the future, `nbf` and
`iat` not in the future, a bounded lifetime, `sub` and `jti` present. Time comes from
the injected clock, with a small configured leeway for others' clocks.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from joserfc import jwt
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from bridge.tokens.jose_rules import JwtRejected, read_header
from bridge.tokens.key_sources import KeySource, key_for


@dataclass(frozen=True, slots=True)
class Expectations:
    issuer: str
    audiences: Collection[str]
    """`aud` must name at least one of these."""
    algorithms: Collection[str]
    leeway: int
    max_lifetime: int
    """Seconds a token may live from `iat` (or from now, without `iat`) to `exp`."""
    require_jti: bool = True
    exclusive_audience: bool = False
    """Every `aud` value must be one of `audiences` (RFC 7523bis: no foreign audience)."""
    forbidden_types: Collection[str] = ()
    """`typ` values that mark another kind of token (RFC 8725 §3.11)."""


def _audience(claims: dict[str, Any], expect: Expectations) -> None:
    aud = claims.get("aud")
    values = [aud] if isinstance(aud, str) else aud
    if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
        raise JwtRejected("The token has no valid aud claim")
    if not set(values) & set(expect.audiences):
        raise JwtRejected("The token's audience is not this server", f"aud={aud!r:.200}")
    if expect.exclusive_audience and not set(values) <= set(expect.audiences):
        raise JwtRejected("The token's audience names other parties", f"aud={aud!r:.200}")


def _times(claims: dict[str, Any], expect: Expectations, now: int) -> None:
    if "exp" not in claims:
        raise JwtRejected("The token has no exp claim")
    registry = jwt.JWTClaimsRegistry(now=now, leeway=expect.leeway)
    try:
        registry.validate(claims)
    except ExpiredTokenError:
        raise JwtRejected("The token has expired") from None
    except ClaimError as exc:
        raise JwtRejected(f"The token's {exc.claim} claim is invalid", str(exc)) from None
    except JoseError as exc:
        raise JwtRejected("The token's claims are invalid", str(exc)) from None
    start = claims.get("iat", now)
    if claims["exp"] - start > expect.max_lifetime + expect.leeway:
        raise JwtRejected(
            "The token lives longer than accepted", f"exp-iat={claims['exp'] - start}"
        )


async def verify_jwt(
    token: str, source: KeySource, expect: Expectations, *, now: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The verified (header, claims), else `JwtRejected`."""
    header = read_header(token, expect.algorithms)
    if header.get("typ") in expect.forbidden_types:
        raise JwtRejected("The token is of another kind", f"typ={header.get('typ')!r}")
    key = await key_for(source, header)
    try:
        claims = dict(jwt.decode(token, key, algorithms=[header["alg"]]).claims)
    except (JoseError, ValueError) as exc:
        raise JwtRejected("The token's signature is invalid", str(exc)) from None
    if claims.get("iss") != expect.issuer:
        raise JwtRejected(
            "The token's issuer is not the expected one", f"iss={claims.get('iss')!r:.200}"
        )
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise JwtRejected("The token has no sub claim")
    _audience(claims, expect)
    _times(claims, expect, now)
    jti = claims.get("jti")
    if expect.require_jti and (not isinstance(jti, str) or not 0 < len(jti) <= 256):
        raise JwtRejected("The token has no valid jti claim")
    return header, claims
