"""The device_code grant (RFC 8628 §3.4–§3.5): a kiosk polling for the resident's answer.

Each poll is one compare-and-set on the device record: too soon after the last one is
`slow_down` and the interval grows by 5 seconds for every later poll (§3.5: enforced,
and stored, not just said); an approved record turns `delivered` in the same write that
hands out the tokens, so they are issued exactly once and a second poll is
`invalid_grant`. Kiosk tokens are short (`kiosk_token_ttl`) and never come with a
refresh token: a kiosk is used by stranger after stranger.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from bridge.clock import Clock
from bridge.errors import (
    AccessDeniedError,
    InvalidGrantError,
    OAuthError,
    TemporarilyUnavailableError,
    UnauthorizedClientError,
)
from bridge.model import DeviceAuthorization
from bridge.provider.clients import Client
from bridge.provider.grants.common import TokenMinter, required
from bridge.store.devices import DeviceStore, Versioned, device_key
from bridge.store.records import Grants
from bridge.wire import GRANT_DEVICE_CODE

log = structlog.get_logger(__name__)

SLOW_DOWN_STEP = 5
_ATTEMPTS = 8


class AuthorizationPendingError(OAuthError):
    """RFC 8628 §3.5: the resident has not answered yet."""

    error = "authorization_pending"


class SlowDownError(OAuthError):
    """RFC 8628 §3.5: polling faster than the interval; wait 5 seconds longer."""

    error = "slow_down"


class ExpiredTokenError(OAuthError):
    """RFC 8628 §3.5: the device code expired; the kiosk must start again."""

    error = "expired_token"


class DeviceAccessDeniedError(AccessDeniedError):
    """RFC 8628 §3.5: the resident declined (400, as every §5.2 error of /token)."""

    status_code = 400


class DeviceCodeGrant:
    grant_type = GRANT_DEVICE_CODE

    def __init__(
        self, *, devices: DeviceStore, grants: Grants, minter: TokenMinter, clock: Clock
    ) -> None:
        self._devices = devices
        self._grants = grants
        self._minter = minter
        self._clock = clock

    async def __call__(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if not client.is_kiosk:
            raise UnauthorizedClientError("The client is not registered as a kiosk")
        k = device_key(required(form, "device_code"))
        if k is None:
            raise InvalidGrantError("The device code is invalid")
        for _ in range(_ATTEMPTS):  # lost a race with the phone or another poll: read again
            found = await self._devices.device(k)
            if found is None or found.record.client_id != client.client_id:
                raise InvalidGrantError("The device code is invalid")
            delivered = await self._poll(k, found)
            if delivered is not None:
                return await self._tokens(client, delivered)
        raise TemporarilyUnavailableError("The device authorization is busy, poll again")

    async def _poll(
        self, k: str, found: Versioned[DeviceAuthorization]
    ) -> DeviceAuthorization | None:
        """The approved record once it is marked delivered; None when another write was
        first; otherwise the poll's RFC 8628 error."""
        record, now = found.record, self._clock.now()
        if record.status == "delivered":
            raise InvalidGrantError("The device code has already been used")
        if now >= record.expires_at:
            raise ExpiredTokenError("The device code has expired")
        if record.status == "denied":
            raise DeviceAccessDeniedError("The resident declined the sign-in")
        if record.status == "approved":
            done = record.model_copy(update={"status": "delivered", "last_poll_at": now})
            return record if await self._devices.replace(k, found, done) else None
        too_soon = record.last_poll_at is not None and now - record.last_poll_at < record.interval
        interval = record.interval + SLOW_DOWN_STEP if too_soon else record.interval
        polled = record.model_copy(update={"last_poll_at": now, "interval": interval})
        if not await self._devices.replace(k, found, polled):
            return None
        if too_soon:
            raise SlowDownError(f"Poll at most every {interval} seconds")
        raise AuthorizationPendingError("The resident has not answered yet")

    async def _tokens(self, client: Client, record: DeviceAuthorization) -> dict[str, Any]:
        grant = await self._grants.get(record.grant_id or "")
        if grant is None:
            raise InvalidGrantError("The grant behind this device code was revoked")
        body = self._minter.tokens(
            grant, record.scopes, id_token_alg=client.id_token_signed_response_alg
        )
        log.info("token.issued", client_id=client.client_id, grant=GRANT_DEVICE_CODE, refresh=False)
        return body
