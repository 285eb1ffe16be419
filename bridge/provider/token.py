"""The token endpoint (RFC 6749 §3.2): dispatches on `grant_type` to one grant module
under `provider/grants/`. Client authentication has already happened (client_auth)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.errors import InvalidGrantError, UnsupportedGrantTypeError, quoted
from bridge.provider.client_auth import Prefetched
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


@dataclass(frozen=True, slots=True)
class EarlyReads:
    """What the token endpoint read before client authentication, in one Redis round
    trip: the claimed client's client-auth throttle marker and, for a code or refresh
    redemption, its redemption marker, or for a token exchange the subject token's
    grant and revocation marker (bench/README.md: a round trip of three saved)."""

    claimed: str | None
    client_auth: Prefetched
    redemption: Prefetched | None = None
    subject: EarlyRead | None = None


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
        """The reads of `EarlyReads`; None when there is nothing to read together (the
        grant and client authentication then read their own)."""
        grant_type = form.get("grant_type") or ""
        handler = self._grants.get(grant_type)
        if isinstance(handler, TokenExchangeGrant):
            subject = await handler.read_early(form, client_auth_key)
            return (
                None
                if subject is None
                else EarlyReads(claimed, Prefetched(subject.other), subject=subject)
            )
        redemption_key = self._throttle.blocked_key(REDEMPTION, claimed)
        if grant_type not in REDEEMED or client_auth_key is None or redemption_key is None:
            return None
        auth, redemption = await self._throttle.read([client_auth_key, redemption_key])
        return EarlyReads(claimed, Prefetched(auth), redemption=Prefetched(redemption))

    async def grant(
        self, client: Client, form: Mapping[str, str], early: EarlyReads | None = None
    ) -> dict[str, Any]:
        grant_type = required(form, "grant_type")
        handler = self._grants.get(grant_type)
        if handler is None:
            raise UnsupportedGrantTypeError(f"grant_type {quoted(grant_type, 60)} is not supported")
        if (
            early is not None
            and early.subject is not None
            and isinstance(handler, TokenExchangeGrant)
        ):
            return await handler(client, form, early.subject)
        if grant_type not in REDEEMED:
            return await handler(client, form)
        mine = early is not None and early.claimed == client.client_id  # the same key
        if mine and early is not None and early.redemption is not None:
            self._throttle.refuse_if_blocked(REDEMPTION, early.redemption.value)
        else:
            await self._throttle.check(REDEMPTION, client.client_id)
        try:
            return await handler(client, form)
        except InvalidGrantError:
            await self._throttle.failed(REDEMPTION, client.client_id)
            raise
