"""Device authorizations (RFC 8628): the kiosk's record, found by its device code, and
the resident's, found by the user code typed or scanned on the phone.

Both keys carry one Cluster hash tag, derived from the user code (`{tag}`), and the
device code begins with that tag: whichever code a request holds, it names the slot of
both records without a lookup. The device record is keyed by the device code's SHA-256,
so a store dump holds no code a kiosk could poll with.

Records are sealed like every other, and stay readable `EXPIRED_GRACE` seconds past
their `expires_at`, so a late poll hears `expired_token` rather than `invalid_grant`.
Updates are compare-and-set on the sealed blob (each seal is unique): the kiosk's polls,
the phone's claim and the approval never overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from pydantic import BaseModel

from bridge.model import DeviceAuthorization, UserCode
from bridge.store.record_base import _Sealed, digest, key

R = TypeVar("R", bound=BaseModel)

EXPIRED_GRACE = 600.0
TAG_LENGTH = 16


@dataclass(frozen=True, slots=True)
class Versioned(Generic[R]):
    record: R
    blob: bytes


def user_code_tag(user_code: str) -> str:
    return digest("user-code:" + user_code)[:TAG_LENGTH]


def user_code_key(user_code: str) -> str:
    return key("user-code", "{" + user_code_tag(user_code) + "}")


def device_key(device_code: str) -> str | None:
    """The record's key, or None for a value that cannot be a device code."""
    tag, dot, secret = device_code.partition(".")
    if not dot or len(tag) != TAG_LENGTH or not secret:
        return None
    return key("device", "{" + tag + "}" + digest(device_code))


class DeviceStore(_Sealed):
    def _keep(self, expires_at: float) -> float:
        return self._ttl(expires_at + EXPIRED_GRACE)

    def _open(self, k: str, blob: bytes | None, model: type[R]) -> Versioned[R] | None:
        if blob is None:
            return None
        return Versioned(model.model_validate_json(self._sealer.open(blob, k)), blob)

    async def create(self, user_code: str, code: UserCode, device: DeviceAuthorization) -> bool:
        """Store both records; False (and nothing stored) if the user code is taken."""
        uk = user_code_key(user_code)
        ttl = self._keep(code.expires_at)
        if not await self._backend.put_new(uk, self._encode(uk, code), ttl):
            return False
        dk = code.device_key
        await self._backend.put(dk, self._encode(dk, device), ttl)
        return True

    async def user_code(self, user_code: str) -> UserCode | None:
        k = user_code_key(user_code)
        found = self._open(k, await self._backend.get(k), UserCode)
        return None if found is None else found.record

    async def device(self, k: str) -> Versioned[DeviceAuthorization] | None:
        return self._open(k, await self._backend.get(k), DeviceAuthorization)

    async def replace(
        self, k: str, old: Versioned[DeviceAuthorization], new: DeviceAuthorization
    ) -> bool:
        """Write `new` only if the record is still `old`; False when someone was first."""
        blob = self._encode(k, new)
        return await self._backend.compare_and_set(k, old.blob, blob, self._keep(new.expires_at))
