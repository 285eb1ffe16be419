"""The device authorization endpoint (RFC 8628 §3.1–§3.2), for registered kiosks only.

The user code is 8 characters from §6.1's alphabet of 20 consonants (no vowels, so no
words; no digits, so nothing to confuse with letters): 20^8 ≈ 2.56 × 10^10 ≈ 2^34.6
codes. That is enough only because guesses on the phone's page are limited (see
`bridge/signin/device_guesses.py` and docs/architecture.md for the arithmetic). The device
code carries 256 random bits and is stored only as a digest (`store/devices.py`).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import structlog

from bridge.clock import Clock
from bridge.errors import InvalidScopeError, ServerError, UnauthorizedClientError, quoted
from bridge.model import DeviceAuthorization, UserCode
from bridge.provider.clients import Client
from bridge.store.devices import DeviceStore, device_key, user_code_tag
from bridge.wire import SCOPE_OPENID

log = structlog.get_logger(__name__)

DEVICE_AUTHORIZATION_PATH = "/device_authorization"
VERIFICATION_PATH = "/device"
USER_CODE_ALPHABET = "BCDFGHJKLMNPQRSTVWXZ"
USER_CODE_LENGTH = 8
_DEVICE_CODE_BYTES = 32
_ATTEMPTS = 5


def new_user_code() -> str:
    return "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(USER_CODE_LENGTH))


def display_user_code(user_code: str) -> str:
    """XXXX-XXXX: two groups are easier to read out and to type (RFC 8628 §6.1)."""
    return f"{user_code[:4]}-{user_code[4:]}"


def normalize_user_code(typed: str) -> str | None:
    """What a resident typed, as stored: case and punctuation ignored (§6.1); None when
    it cannot be a user code at all."""
    letters = "".join(c for c in typed.upper()[:32] if c.isalnum())
    if len(letters) != USER_CODE_LENGTH or any(c not in USER_CODE_ALPHABET for c in letters):
        return None
    return letters


@dataclass(frozen=True, slots=True)
class DevicePolicy:
    issuer: str
    code_ttl: int
    """RFC 8628 §3.2 `expires_in`; at most 10 minutes here (settings)."""
    interval: int


def kiosk_scopes(client: Client, requested: str | None) -> tuple[str, ...]:
    """What the kiosk's registration allows of what it asked (openid when it names none)."""
    scopes = tuple(dict.fromkeys((requested or SCOPE_OPENID).split()))
    extra = [s for s in scopes if s not in client.allowed_scopes]
    if not scopes or extra:
        raise InvalidScopeError(f"Scope {quoted(extra[0] if extra else '')} is not allowed")
    return scopes


class DeviceAuthorizations:
    def __init__(self, *, store: DeviceStore, policy: DevicePolicy, clock: Clock) -> None:
        self._store = store
        self._policy = policy
        self._clock = clock

    async def authorize(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        if not client.is_kiosk:
            raise UnauthorizedClientError("The client is not registered as a kiosk")
        scopes = kiosk_scopes(client, form.get("scope"))
        policy = self._policy
        expires_at = self._clock.now() + policy.code_ttl
        for _ in range(_ATTEMPTS):  # a live user code is never handed out twice
            user_code = new_user_code()
            device_code = user_code_tag(user_code) + "." + secrets.token_urlsafe(_DEVICE_CODE_BYTES)
            k = device_key(device_code)
            assert k is not None  # noqa: S101 - made in the format device_key reads
            record = UserCode(
                client_id=client.client_id, scopes=scopes, device_key=k, expires_at=expires_at
            )
            device = DeviceAuthorization(
                client_id=client.client_id,
                scopes=scopes,
                interval=policy.interval,
                expires_at=expires_at,
            )
            if await self._store.create(user_code, record, device):
                break
        else:
            raise ServerError(detail="no free user code")
        log.info("device.authorization_issued", client_id=client.client_id)
        shown = display_user_code(user_code)
        verification_uri = f"{policy.issuer}{VERIFICATION_PATH}"
        return {
            "device_code": device_code,
            "user_code": shown,
            "verification_uri": verification_uri,
            "verification_uri_complete": f"{verification_uri}?{urlencode({'user_code': shown})}",
            "expires_in": policy.code_ttl,
            "interval": policy.interval,
        }
