"""The refresh_token grant (RFC 6749 §6) with rotation (OAuth 2.0 Security BCP,
RFC 9700 §4.14.2): every use returns a new refresh token and consumes the old one; a
consumed token presented again means one of two parties holds a stolen copy, so the
whole family is revoked (the grant, and with it every access token naming it).

The family's absolute end is fixed at sign-in: rotation never extends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from bridge.errors import InvalidGrantError, UnauthorizedClientError
from bridge.provider.clients import Client
from bridge.provider.grants.common import TokenMinter, narrowed_scopes, required
from bridge.store.records import Grants
from bridge.store.refresh_tokens import RefreshTokens, ReusedRefreshToken
from bridge.wire import GRANT_REFRESH_TOKEN

log = structlog.get_logger(__name__)


class RefreshTokenGrant:
    grant_type = GRANT_REFRESH_TOKEN

    def __init__(
        self, *, refresh_tokens: RefreshTokens, grants: Grants, minter: TokenMinter
    ) -> None:
        self._refresh_tokens = refresh_tokens
        self._grants = grants
        self._minter = minter

    async def __call__(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        presented = required(form, "refresh_token")
        if not client.offline_access:
            raise UnauthorizedClientError("This client is not registered for offline access")
        found = await self._refresh_tokens.find(presented)
        if found is None:
            raise InvalidGrantError("The refresh token is invalid or has expired")
        if found.client_id != client.client_id:
            # Not consumed: a client that is not its holder cannot spend someone's token.
            raise InvalidGrantError(
                "The refresh token was issued to another client",
                detail=f"refresh token of {found.client_id} presented by {client.client_id}",
            )
        # Checked before consuming: a request the grant does not cover is an error, and
        # an error must not spend the client's token (its retry without scope works).
        scopes = narrowed_scopes(form.get("scope"), found.scopes)
        used, grant = await self._refresh_tokens.consume_with_grant(presented, found)
        if isinstance(used, ReusedRefreshToken):
            await self._grants.revoke(used.grant_id)
            log.warning(
                "security.refresh_token_reused", client_id=client.client_id, grant_id=used.grant_id
            )
            raise InvalidGrantError(
                "The refresh token was already used; every token of its grant is revoked"
            )
        if used is None:
            raise InvalidGrantError("The refresh token is invalid or has expired")
        if grant is None or grant.client_id != client.client_id:
            raise InvalidGrantError("The grant behind this refresh token was revoked")
        body = self._minter.tokens(grant, scopes, id_token_alg=client.id_token_signed_response_alg)
        body["refresh_token"] = await self._minter.refresh_token(
            grant, used.scopes, used.family_expires_at
        )
        log.info(
            "token.issued",
            client_id=client.client_id,
            grant=GRANT_REFRESH_TOKEN,
            grant_id=grant.grant_id,
        )
        return body
