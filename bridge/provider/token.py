"""The token endpoint (RFC 6749 §3.2): dispatches on `grant_type` to one grant module
under `provider/grants/`. Client authentication has already happened (client_auth)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bridge.errors import InvalidGrantError, UnsupportedGrantTypeError, quoted
from bridge.provider.clients import Client
from bridge.provider.grants import GrantHandler
from bridge.provider.grants.common import TokenLifetimes, required
from bridge.provider.grants.token_exchange import TokenExchangeGrant
from bridge.provider.presented_tokens import EarlyRead
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

    async def read_early(self, form: Mapping[str, str], other: str | None) -> EarlyRead | None:
        """A token exchange's subject-token reads, made before client authentication in
        one round trip with the client's throttle marker `other` (bench/README.md: one
        Redis round trip of three). None for every other request."""
        handler = self._grants.get(form.get("grant_type") or "")
        if isinstance(handler, TokenExchangeGrant):
            return await handler.read_early(form, other)
        return None

    async def grant(
        self, client: Client, form: Mapping[str, str], early: EarlyRead | None = None
    ) -> dict[str, Any]:
        grant_type = required(form, "grant_type")
        handler = self._grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError(f"grant_type {quoted(grant_type, 60)} is not supported")
        if early is not None and isinstance(handler, TokenExchangeGrant):
            return await handler(client, form, early)
        if grant_type not in REDEEMED:
            return await handler(client, form)
        await self._throttle.check(REDEMPTION, client.client_id)
        try:
            return await handler(client, form)
        except InvalidGrantError:
            await self._throttle.failed(REDEMPTION, client.client_id)
            raise
