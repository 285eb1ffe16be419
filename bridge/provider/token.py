"""The token endpoint (RFC 6749 §3.2): dispatches on `grant_type` to one grant module
under `provider/grants/`. Client authentication has already happened (client_auth)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bridge.errors import InvalidGrantError, UnsupportedGrantTypeError, quoted
from bridge.provider.clients import Client
from bridge.provider.early_reads import EarlyReads, Prefetched
from bridge.provider.grants import GrantHandler
from bridge.provider.grants.common import TokenLifetimes, required
from bridge.provider.grants.token_exchange import TokenExchangeGrant
from bridge.throttle import REDEMPTION, Throttle
from bridge.wire import GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN

__all__ = ["TokenEndpoint", "TokenLifetimes"]


REDEEMED = frozenset({GRANT_AUTHORIZATION_CODE, GRANT_REFRESH_TOKEN})
"""Grants whose failures are counted per client: guessing codes or refresh tokens."""


class TokenEndpoint:
    def __init__(self, grants: Iterable[GrantHandler], *, throttle: Throttle) -> None:
        self._grants = {grant.grant_type: grant for grant in grants}
        self._throttle = throttle

    @property
    def grant_types(self) -> tuple[str, ...]:
        return tuple(self._grants)

    async def read_early(
        self, form: Mapping[str, str], claimed: str | None, client_auth_key: str | None
    ) -> EarlyReads | None:
        """What the grant and client authentication read, in one round trip before the
        client is authenticated (`early_reads`): for a code or refresh redemption the
        claimed client's two throttle markers, for a token exchange its client-auth
        marker with the subject token's grant and revocation marker. None when there is
        nothing to read together (each then reads its own)."""
        grant_type = form.get("grant_type") or ""
        handler = self._grants.get(grant_type)
        if isinstance(handler, TokenExchangeGrant):
            return await handler.read_early(form, claimed, client_auth_key)
        redemption_key = self._throttle.blocked_key(REDEMPTION, claimed)
        if grant_type not in REDEEMED or client_auth_key is None or redemption_key is None:
            return None
        auth, redemption = await self._throttle.read([client_auth_key, redemption_key])
        return EarlyReads(Prefetched(auth), claimed, redemption=Prefetched(redemption))

    async def grant(
        self, client: Client, form: Mapping[str, str], early: EarlyReads | None = None
    ) -> dict[str, Any]:
        grant_type = required(form, "grant_type")
        handler = self._grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError(f"grant_type {quoted(grant_type, 60)} is not supported")
        if isinstance(handler, TokenExchangeGrant):
            return await handler(client, form, early)
        if grant_type not in REDEEMED:
            return await handler(client, form)
        redemption = None if early is None else early.redemption_for(client.client_id)
        if redemption is not None:
            self._throttle.refuse_if_blocked(REDEMPTION, redemption.value)
        else:
            await self._throttle.check(REDEMPTION, client.client_id)
        try:
            return await handler(client, form)
        except InvalidGrantError:
            await self._throttle.failed(REDEMPTION, client.client_id)
            raise
