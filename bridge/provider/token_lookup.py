"""Finding which of the bridge's tokens a client presents to the introspection and
revocation endpoints (RFC 7662 §2.1, RFC 7009 §2.1): a JWT access token (its grant
still alive, its `jti` not revoked) or a refresh token (by digest). The
`token_type_hint` only sets the order of the search (§2.1 of both).
"""

from __future__ import annotations

from bridge.errors import InvalidTokenError
from bridge.provider.early_reads import EarlyReads, with_access_token
from bridge.provider.found_tokens import Found, FoundAccessToken, FoundRefreshToken
from bridge.store.records import AccessTokenStatus, Grants
from bridge.store.refresh_tokens import RefreshTokens
from bridge.tokens.verifier import AccessToken, AccessTokenVerifier
from bridge.wire import TOKEN_HINT_REFRESH_TOKEN

MAX_TOKEN_LENGTH = 8192


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

    async def read_early(
        self, token: str, hint: str | None, client_auth_key: str | None
    ) -> EarlyReads | None:
        """For a valid access token searched for first, what `find` would read, with the
        client's throttle marker at `client_auth_key` in the same round trip; None for
        anything else (the caller then reads both on its own)."""
        access = None if hint == TOKEN_HINT_REFRESH_TOKEN else self._verified(token)
        if access is None:
            return None
        return await with_access_token(self._access_tokens, token, access, client_auth_key)

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
