"""Finding which of the bridge's tokens a client presents to the introspection and
revocation endpoints (RFC 7662 §2.1, RFC 7009 §2.1): a JWT access token (its grant
still alive, its `jti` not revoked) or a refresh token (by digest). The
`token_type_hint` only sets the order of the search (§2.1 of both).
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.errors import InvalidTokenError
from bridge.model import Grant
from bridge.store.records import AccessTokenStatus, Grants
from bridge.store.refresh_tokens import RefreshToken, RefreshTokens
from bridge.tokens.verifier import AccessToken, AccessTokenVerifier
from bridge.wire import TOKEN_HINT_REFRESH_TOKEN

MAX_TOKEN_LENGTH = 8192


@dataclass(frozen=True, slots=True)
class FoundAccessToken:
    token: AccessToken
    grant: Grant | None
    revoked: bool

    @property
    def client_id(self) -> str:
        return self.token.client_id

    @property
    def active(self) -> bool:
        # The grant is the family: an exchanged token names the grant of its subject
        # token, which may belong to another client and another pairwise `sub`.
        return not self.revoked and self.grant is not None


@dataclass(frozen=True, slots=True)
class FoundRefreshToken:
    token: RefreshToken
    grant: Grant | None

    @property
    def client_id(self) -> str:
        return self.token.client_id

    @property
    def active(self) -> bool:
        return not self.token.consumed and self.grant is not None


Found = FoundAccessToken | FoundRefreshToken


class TokenLookup:
    def __init__(
        self,
        *,
        verifier: AccessTokenVerifier,
        access_tokens: AccessTokenStatus,
        refresh_tokens: RefreshTokens,
        grants: Grants,
    ) -> None:
        self._verifier = verifier
        self._access_tokens = access_tokens
        self._refresh_tokens = refresh_tokens
        self._grants = grants

    async def find(self, token: str, hint: str | None) -> Found | None:
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        order = (
            (self._as_refresh_token, self._as_access_token)
            if hint == TOKEN_HINT_REFRESH_TOKEN
            else (self._as_access_token, self._as_refresh_token)
        )
        for attempt in order:
            found = await attempt(token)
            if found is not None:
                return found
        return None

    async def find_access_token_and(
        self, token: str, hint: str | None, other: str | None
    ) -> tuple[FoundAccessToken, bytes | None] | None:
        """`find` for a valid access token searched for first, reading the caller's key
        `other` in the same round trip as its grant and revocation marker; None for
        anything else (the caller then reads `other` and calls `find`)."""
        access = None if hint == TOKEN_HINT_REFRESH_TOKEN else self._verified(token)
        if access is None:
            return None
        grant, revoked, value = await self._access_tokens.grant_for_access_token_and(
            access.grant_id, access.jti, other
        )
        return FoundAccessToken(access, grant, revoked), value

    def _verified(self, token: str) -> AccessToken | None:
        if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
            return None
        try:
            return self._verifier.verify(token, any_audience=True)
        except InvalidTokenError:
            return None

    async def _as_access_token(self, token: str) -> Found | None:
        access = self._verified(token)
        if access is None:
            return None
        grant, revoked = await self._access_tokens.grant_for_access_token(
            access.grant_id, access.jti
        )
        return FoundAccessToken(access, grant, revoked)

    async def _as_refresh_token(self, token: str) -> Found | None:
        record = await self._refresh_tokens.find(token)
        if record is None:
            return None
        return FoundRefreshToken(record, await self._grants.get(record.grant_id))
