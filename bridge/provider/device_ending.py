"""The device-approval ending (RFC 8628 §3.3): allowed, a grant for the released claims
is created and the device authorization the sign-in was started for is marked approved
with it, which the kiosk's next poll picks up; refused, it is marked denied, so the
kiosk hears `access_denied` rather than waiting for the code to expire.

Both writes are compare-and-set and hold only for the phone's claim (`claim_id`): an
approval can reach no other device code, and none after the code expired.
"""

from __future__ import annotations

import secrets

import structlog

from bridge.browser import Allowed, Redirect, refused
from bridge.clock import Clock
from bridge.errors import OAuthError
from bridge.model import DeviceAuthorization, DeviceEnding, Ending, Grant, PendingConsent
from bridge.store.devices import DeviceStore
from bridge.store.records import Grants

log = structlog.get_logger(__name__)

DONE_PATH = "/device/done"
_ATTEMPTS = 8


class DeviceApproval:
    kind = "device"

    def __init__(
        self, *, devices: DeviceStore, grants: Grants, clock: Clock, code_ttl: int, token_ttl: int
    ) -> None:
        self._code_ttl = code_ttl
        self._devices = devices
        self._grants = grants
        self._clock = clock
        self._token_ttl = token_ttl

    async def _settle(self, ending: DeviceEnding, status: str, grant_id: str | None) -> bool:
        """Move the claimed, still pending authorization to `status`; False if it is no
        longer there to move (expired, or not this claim's)."""
        for _ in range(_ATTEMPTS):
            found = await self._devices.device(ending.device_key)
            if found is None:
                return False
            record: DeviceAuthorization = found.record
            live = record.status == "pending" and record.expires_at > self._clock.now()
            if not live or record.claim_id != ending.claim_id:
                return False
            settled = record.model_copy(update={"status": status, "grant_id": grant_id})
            if await self._devices.replace(ending.device_key, found, settled):
                return True
        return False

    async def allow(self, pending: PendingConsent) -> Allowed:
        ending = pending.ending
        if not isinstance(ending, DeviceEnding):
            raise TypeError("a device approval is only for a device sign-in")
        now = self._clock.now()
        grant_id = secrets.token_hex(16)
        await self._grants.put(
            Grant(
                grant_id=grant_id,
                client_id=pending.request.client_id,
                subject=pending.subject,
                scopes=pending.request.scopes,
                claims=pending.claims,
                acr=pending.acr,
                auth_time=pending.auth_time,
                # the kiosk may poll until the code expires, then its tokens live
                expires_at=now + self._code_ttl + self._token_ttl,
                upstream_idp=pending.upstream_idp,
                upstream_subject=pending.upstream_subject,
            )
        )
        if not await self._settle(ending, "approved", grant_id):
            await self._grants.revoke(grant_id)
            raise refused("error_device_expired", "The kiosk's code has expired")
        log.info("device.approved", client_id=pending.request.client_id)
        return Allowed(Redirect(f"{DONE_PATH}?{_lang(pending)}"), grant_id)

    async def refuse(self, ending: Ending, error: OAuthError) -> OAuthError:
        if isinstance(ending, DeviceEnding):
            await self._settle(ending, "denied", None)
        error.message_key = error.message_key or "error_device_declined"
        return error  # no redirect: shown to the resident on their phone


def _lang(pending: PendingConsent) -> str:
    locales = pending.request.ui_locales
    return f"lang={locales[0]}" if locales else ""
