"""Subject and actor tokens presented in a token exchange (RFC 8693 §2.1, §3).

Accepted are tokens the bridge issued (access tokens, RFC 9068; ID tokens) while their
grant lives, and JWTs from issuers configured as trusted (`token_exchange.yaml`), each
verified with that issuer's own keys and rules (`external_jwt`). Which verifier runs is
chosen by the token's unverified `iss`, and only among the issuers the client's policy
accepts; the declared token type must fit the token.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from bridge.clock import Clock
from bridge.errors import InvalidRequestError, InvalidTokenError
from bridge.model import Grant
from bridge.provider.early_reads import EarlyReads, with_access_token
from bridge.provider.found_tokens import FoundAccessToken
from bridge.provider.token_exchange_config import BRIDGE_ISSUER_NAME, TrustedIssuer
from bridge.store.records import AccessTokenStatus, Grants, ReplayCache
from bridge.tokens.external_jwt import Expectations, verify_jwt
from bridge.tokens.jose_rules import JwtRejected
from bridge.tokens.key_sources import InlineKeys, KeySource, RemoteJwks
from bridge.tokens.verifier import AccessTokenVerifier, peek_claims
from bridge.wire import (
    JWT_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_ID_TOKEN,
    TOKEN_TYPE_JWT,
)

Role = Literal["subject", "actor"]
EXTERNAL_IDP_PREFIX = "jwt:"
"""A trusted issuer's subjects are pairwise-derived under this prefix, so they can never
collide with (or pose as) residents who signed in through an upstream identity provider."""


@dataclass(frozen=True, slots=True)
class PresentedToken:
    issuer: str
    from_bridge: bool
    subject: str
    client_id: str | None
    """Bridge tokens: the client it was issued to."""
    scopes: tuple[str, ...]
    claims: Mapping[str, Any]
    grant: Grant | None
    expires_at: int

    @property
    def act(self) -> Mapping[str, Any] | None:
        act = self.claims.get("act")
        return act if isinstance(act, Mapping) else None

    @property
    def may_act(self) -> Mapping[str, Any] | None:
        may_act = self.claims.get("may_act")
        return may_act if isinstance(may_act, Mapping) else None

    def upstream_identity(self) -> tuple[str, str] | None:
        """(idp, subject) from which pairwise subjects at any sector are derived."""
        if self.grant is not None and self.grant.upstream_idp and self.grant.upstream_subject:
            return self.grant.upstream_idp, self.grant.upstream_subject
        if not self.from_bridge:
            return EXTERNAL_IDP_PREFIX + self.issuer, self.subject
        return None


def _rejected(role: Role, reason: str, detail: str | None = None) -> InvalidRequestError:
    # RFC 8693 §2.2.2: an invalid or unacceptable subject or actor token is invalid_request.
    return InvalidRequestError(f"The {role}_token is not acceptable: {reason}", detail=detail)


class PresentedTokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        verifier: AccessTokenVerifier,
        access_tokens: AccessTokenStatus,
        grants: Grants,
        replay: ReplayCache,
        trusted: Mapping[str, TrustedIssuer],
        http: httpx.AsyncClient,
        clock: Clock,
        jwks_ttl: float,
        leeway: int,
    ) -> None:
        self._issuer = issuer
        self._verifier = verifier
        self._access_tokens = access_tokens
        self._grants = grants
        self._replay = replay
        self._trusted = dict(trusted)
        self._clock = clock
        self._leeway = leeway
        self._sources: dict[str, KeySource] = {
            name: (
                RemoteJwks(entry.jwks_uri, http, clock, ttl=jwks_ttl)
                if entry.jwks_uri
                else InlineKeys(entry.inline_keys)
            )
            for name, entry in self._trusted.items()
        }

    async def read_early(
        self, token: str, token_type: str, claimed: str | None, client_auth_key: str | None
    ) -> EarlyReads | None:
        """For a bridge access token that verifies, what `verify` would read, with the
        claimed client's throttle marker at `client_auth_key`; None for any other token
        (`verify` then does it all)."""
        claims = peek_claims(token)
        if token_type not in (TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT) or claims is None:
            return None
        if claims.get("iss") != self._issuer or peek_typ(token) != JWT_TYPE_ACCESS_TOKEN:
            return None
        try:
            access = self._verifier.verify(token, any_audience=True)
        except InvalidTokenError:
            return None
        return await with_access_token(self._access_tokens, token, access, client_auth_key, claimed)

    async def verify(
        self,
        token: str,
        token_type: str,
        *,
        role: Role,
        issuers: Collection[str],
        early: EarlyReads | None = None,
    ) -> PresentedToken:
        if token_type not in (TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_ID_TOKEN, TOKEN_TYPE_JWT):
            raise _rejected(role, f"{role}_token_type is not supported")
        claims = peek_claims(token)
        if claims is None:
            raise _rejected(role, "it is not a signed JWT")
        iss = claims.get("iss")
        if iss == self._issuer and BRIDGE_ISSUER_NAME in issuers:
            found = None if early is None else early.found_for(token)
            return await self._from_bridge(token, token_type, role, found)
        if isinstance(iss, str) and iss in issuers and iss in self._trusted:
            if token_type == TOKEN_TYPE_ID_TOKEN and "aud" not in claims:
                raise _rejected(role, "an ID token needs an aud claim")
            return await self._external(token, self._trusted[iss], role)
        raise _rejected(role, "its issuer is not accepted for this client", f"iss={iss!r:.200}")

    async def _from_bridge(
        self, token: str, token_type: str, role: Role, found: FoundAccessToken | None
    ) -> PresentedToken:
        is_access = peek_typ(token) == JWT_TYPE_ACCESS_TOKEN
        if (token_type == TOKEN_TYPE_ACCESS_TOKEN) != is_access and token_type != TOKEN_TYPE_JWT:
            raise _rejected(role, f"it is not of {role}_token_type")
        client_id: str | None
        try:
            if is_access:
                if found is not None:
                    access, grant, revoked = found.token, found.grant, found.revoked
                else:
                    access = self._verifier.verify(token, any_audience=True)
                    grant, revoked = await self._access_tokens.grant_for_access_token(
                        access.grant_id, access.jti
                    )
                claims, client_id, grant_id = access.claims, access.client_id, access.grant_id
                scopes = access.scopes
                if revoked:
                    raise InvalidTokenError("revoked", detail="access token revoked")
            else:
                claims = self._verifier.verify_id_token(token)
                client_id, grant_id, scopes = _id_token_client(claims), claims["gid"], ()
                grant = await self._grants.get(grant_id)
        except InvalidTokenError as error:
            raise _rejected(role, "it is invalid, expired or revoked", error.detail) from None
        if grant is None or grant.client_id != client_id or grant.subject != claims["sub"]:
            raise _rejected(role, "it has been revoked", f"grant {grant_id} gone")
        return PresentedToken(
            issuer=self._issuer,
            from_bridge=True,
            subject=claims["sub"],
            client_id=client_id,
            scopes=scopes or grant.scopes,
            claims=claims,
            grant=grant,
            expires_at=int(claims["exp"]),
        )

    async def _external(self, token: str, trusted: TrustedIssuer, role: Role) -> PresentedToken:
        now = int(self._clock.now())
        single_use = trusted.single_use and role == "subject"
        expect = Expectations(
            issuer=trusted.issuer,
            audiences={trusted.audience or self._issuer},
            algorithms=trusted.algorithms,
            leeway=self._leeway,
            max_lifetime=trusted.max_lifetime,
            require_jti=single_use,
        )
        try:
            _, claims = await verify_jwt(token, self._sources[trusted.issuer], expect, now=now)
        except JwtRejected as rejected:
            raise _rejected(role, rejected.reason, rejected.detail) from None
        if single_use:
            remember = max(int(claims["exp"]) - now + self._leeway, 1)
            first = await self._replay.first_use(
                "subject-token", f"{trusted.issuer}\x00{claims['jti']}", remember
            )
            if not first:
                raise _rejected(role, "it was already exchanged (jti replay)")
        scope = claims.get("scope")
        return PresentedToken(
            issuer=trusted.issuer,
            from_bridge=False,
            subject=claims["sub"],
            client_id=None,
            scopes=tuple(scope.split()) if isinstance(scope, str) else (),
            claims=claims,
            grant=None,
            expires_at=int(claims["exp"]),
        )


def peek_typ(token: str) -> str | None:
    try:
        typ = extract_compact(token.encode("ascii")).protected.get("typ")
    except (JoseError, ValueError, UnicodeError):
        return None
    return typ if isinstance(typ, str) else None


def _id_token_client(claims: Mapping[str, Any]) -> str | None:
    azp = claims.get("azp")
    if isinstance(azp, str):
        return azp
    aud = claims.get("aud")
    if isinstance(aud, str):
        return aud
    return aud[0] if isinstance(aud, list) and len(aud) == 1 else None
