"""The RFC 7523 §2.1 JWT bearer grant at the platform's `access_token` endpoint: the
bridge obtains a platform token for a resident who is signed in to one of its portals.

The assertion must be signed by the bridge (keys from its JWKS: `bridge_keys`) with an
asymmetric algorithm, and carry (§3) `iss` = the bridge's issuer, `aud` = this token
endpoint, `sub` = the bridge's pairwise `sub` for this platform, `exp` (and not too far
away), `iat`/`nbf` not in the future, and a `jti` never seen before. The platform then
looks up the binding made when the resident signed in with iAM Smart and issues its own
token, usable at `tokeninfo`. An unbound resident is `invalid_grant`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, JoseError
from joserfc.jws import extract_compact

from mock_idps.guangdong.accounts import AccountDirectory, weaker_level
from mock_idps.guangdong.binding import Bindings
from mock_idps.guangdong.bridge_keys import BridgeKeys, BridgeKeysUnavailable
from mock_idps.guangdong.config import GuangdongConfig
from mock_idps.guangdong.dialect import (
    INVALID_GRANT,
    INVALID_REQUEST,
    INVALID_SCOPE,
    IssuedToken,
    TokenError,
)
from mock_idps.guangdong.id_token import CLOCK_SKEW, SAFE_ALGORITHMS
from mock_idps.guangdong.sessions import ExpiringStore

log = logging.getLogger("mock_idps.guangdong")

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ENDPOINT_PATH = "/tif/sso/connect/page/oauth2/access_token"
BRIDGE_CLIENT_LABEL = "gba-bridge"
"""Whom the platform's token says it was issued to (the bridge, for its portals)."""
_FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
_EXPIRED_TOKEN_MEMORY = 3600


def _refuse(description: str) -> TokenError:
    return TokenError(INVALID_GRANT, description)


class JwtBearerGrant:
    def __init__(
        self,
        config: GuangdongConfig,
        keys: BridgeKeys,
        accounts: AccountDirectory,
        bindings: Bindings,
        tokens: ExpiringStore[IssuedToken],
        clock: Callable[[], float],
    ) -> None:
        self._config = config
        self._keys = keys
        self._accounts = accounts
        self._bindings = bindings
        self._tokens = tokens
        self._clock = clock
        self._seen: ExpiringStore[bool] = ExpiringStore(clock)

    @property
    def token_endpoint(self) -> str:
        return self._config.public_url + ENDPOINT_PATH

    async def _verified_claims(self, assertion: str) -> dict[str, Any]:
        try:
            header = dict(extract_compact(assertion.encode("ascii")).protected)
        except (JoseError, ValueError, UnicodeError) as exc:
            raise _refuse("assertion is not a signed JWT") from exc
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in SAFE_ALGORITHMS:
            raise _refuse("assertion algorithm not accepted")
        if _FORBIDDEN_HEADERS & header.keys():
            raise _refuse("assertion header names its own key")
        if not isinstance(kid, str):
            raise _refuse("assertion has no kid")
        try:
            keys = await self._keys.key_set(kid)
        except BridgeKeysUnavailable as exc:
            raise TokenError(INVALID_GRANT, "bridge keys unavailable") from exc
        try:
            return dict(jwt.decode(assertion, keys, algorithms=[str(alg)]).claims)
        except (JoseError, ValueError) as exc:
            raise _refuse("assertion signature invalid or key unknown") from exc

    def _check_claims(self, claims: dict[str, Any]) -> None:
        now = int(self._clock())
        lifetimes = self._config.jwt_bearer
        registry = jwt.JWTClaimsRegistry(
            now=now,
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self._config.bridge.issuer},
            aud={"essential": True, "value": self.token_endpoint},
            sub={"essential": True},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise _refuse("assertion expired") from exc
        except JoseError as exc:
            raise _refuse(f"assertion claims rejected ({exc})"[:120]) from exc
        if claims["exp"] - claims.get("iat", now) > lifetimes.max_assertion_lifetime:
            raise _refuse("assertion lives too long")
        if self._seen.get(claims["jti"]):
            raise _refuse("assertion jti already used")
        remember = claims["exp"] - now + CLOCK_SKEW
        self._seen.put(claims["jti"], True, max(remember, 1))

    async def grant(self, form: dict[str, str]) -> dict[str, Any]:
        assertion = form.get("assertion")
        if not assertion:
            raise TokenError(INVALID_REQUEST, "assertion is required")
        claims = await self._verified_claims(assertion)
        self._check_claims(claims)
        allowed = self._config.jwt_bearer.scopes
        scopes = (form.get("scope") or " ".join(allowed)).split()
        if not scopes or any(scope not in allowed for scope in scopes):
            raise TokenError(INVALID_SCOPE, "scope not allowed for the bridge")
        useridcode = self._bindings.account_for(claims["sub"])
        account = self._accounts.by_useridcode(useridcode) if useridcode else None
        if account is None:
            raise _refuse("no Guangdong account is bound to this subject")
        acr = claims.get("acr")
        account_level = account.creditable_level_of_account
        level = weaker_level(account_level, acr if isinstance(acr, str) else account_level)
        token = str(uuid.uuid4())
        lifetime = self._config.lifetimes.portal_access_token
        issued = IssuedToken(
            BRIDGE_CLIENT_LABEL,
            account.useridcode,
            level,
            self._clock() + lifetime,
            " ".join(scopes),
        )
        self._tokens.put(token, issued, lifetime + _EXPIRED_TOKEN_MEMORY)
        log.info("platform token issued for the bridge (jwt-bearer) level=%s", level)
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": lifetime,
            "scope": " ".join(scopes),
        }
