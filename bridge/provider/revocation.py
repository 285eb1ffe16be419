"""Token revocation (RFC 7009 §2): an authenticated client revokes a token it holds.

Revoking a refresh token revokes its family: the grant, and with it every access and
refresh token issued from it, and takes the client out of the bridge session the grant
was issued in. Revoking an access token revokes that token (its `jti` is remembered
until it would have expired) and, for a kiosk, its whole grant: a kiosk is a shared
screen whose "Finish" must leave nothing usable behind (the ID token, the session
entry), and §2.1 lets revocation reach the underlying grant. An unknown or already
invalid token is no error (§2.2: the client cannot do anything about it); a token issued
to another client is refused (§2.1) without being touched.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

import structlog

from bridge.errors import InvalidGrantError, InvalidRequestError
from bridge.model import Grant
from bridge.provider.clients import Client
from bridge.provider.found_tokens import FoundAccessToken
from bridge.provider.token_lookup import TokenLookup
from bridge.store.records import Grants
from bridge.store.refresh_tokens import RefreshTokens
from bridge.store.revoked_tokens import RevokedTokens

log = structlog.get_logger(__name__)

GrantRevoked = Callable[[Grant, str], Awaitable[None]]
"""Told of a grant its client revoked (the bridge session takes the client out)."""


class Revocation:
    def __init__(
        self,
        *,
        lookup: TokenLookup,
        revoked: RevokedTokens,
        grants: Grants,
        refresh_tokens: RefreshTokens,
        on_grant_revoked: GrantRevoked | None = None,
    ) -> None:
        self.lookup = lookup
        self.revoked = revoked
        self.grants = grants
        self.refresh_tokens = refresh_tokens
        self.on_grant_revoked = on_grant_revoked


async def revoke(client: Client, form: Mapping[str, str], stores: Revocation) -> None:
    token = form.get("token")
    if not token:
        raise InvalidRequestError("token is required")
    found = await stores.lookup.find(token, form.get("token_type_hint"))
    if found is None:
        return
    if found.client_id != client.client_id:
        raise InvalidGrantError(
            "The token was issued to another client",
            detail=f"revocation of a token of {found.client_id} by {client.client_id}",
        )
    if isinstance(found, FoundAccessToken):
        await stores.revoked.revoke(found.token.jti, found.token.expires_at)
        # An exchanged token names its subject token's grant, which may be another
        # client's: only the kiosk's own grant goes with it.
        own_grant = found.grant is not None and found.grant.client_id == client.client_id
        if client.is_kiosk and own_grant:
            await _revoke_grant(found.token.grant_id, stores)
        log.info("token.revoked", client_id=client.client_id, kind="access_token")
        return
    await _revoke_grant(found.token.grant_id, stores)
    await stores.refresh_tokens.delete(token)
    log.info(
        "token.revoked",
        client_id=client.client_id,
        kind="refresh_token",
        grant_id=found.token.grant_id,
    )


async def _revoke_grant(grant_id: str, stores: Revocation) -> None:
    grant = await stores.grants.get(grant_id) if stores.on_grant_revoked else None
    await stores.grants.revoke(grant_id)
    if grant is not None and stores.on_grant_revoked is not None:
        await stores.on_grant_revoked(grant, "grant_revoked")
