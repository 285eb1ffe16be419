"""Short-lived server-side records: platform sessions, sign-ins in progress, pending
bindings, portal authorization requests, codes and tokens.

Everything lives in memory with an expiry read from the injected clock, because the
mock runs as one process; the browser only ever holds an unguessable record id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from mock_idps.guangdong.accounts import Level
from mock_idps.guangdong.config import LoginMethod

T = TypeVar("T")

Clock = Callable[[], float]

SESSION_COOKIE = "gd_session"
LOGIN_COOKIE = "gd_login"
BIND_COOKIE = "gd_bind"
LANG_COOKIE = "lang"


def new_id() -> str:
    return secrets.token_urlsafe(32)


class ExpiringStore(Generic[T]):
    """A dict whose entries vanish at their expiry time."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._items: dict[str, tuple[float, T]] = {}

    def put(self, key: str, value: T, lifetime: float) -> None:
        now = self._clock()
        # A mock serves a handful of residents: sweeping on every write keeps memory
        # bounded without a background task.
        for stale in [k for k, (exp, _) in self._items.items() if exp <= now]:
            del self._items[stale]
        self._items[key] = (now + lifetime, value)

    def get(self, key: str) -> T | None:
        entry = self._items.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._items[key]
            return None
        return entry[1]

    def take(self, key: str) -> T | None:
        """Remove and return: the one way to use a one-time value."""
        entry = self._items.pop(key, None)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

    def remove_where(self, doomed: Callable[[T], bool]) -> int:
        """Remove every live entry `doomed` picks; how many."""
        now = self._clock()
        keys = [k for k, (exp, v) in self._items.items() if exp > now and doomed(v)]
        for k in keys:
            del self._items[k]
        return len(keys)

    def clear(self) -> None:
        self._items.clear()

    def __len__(self) -> int:
        now = self._clock()
        return sum(1 for exp, _ in self._items.values() if exp > now)


@dataclass(frozen=True, slots=True)
class PlatformSession:
    """A resident signed in to the platform: through iAM Smart, or with its own login."""

    useridcode: str
    level: Level
    """iAM Smart: min(account level, bridge `acr`); own login: the account's level."""
    method: LoginMethod
    bridge_subject: str | None = None
    """The bridge's `sub` when signed in through iAM Smart."""
    bridge_sid: str | None = None
    """The bridge session (`sid`): what a back-channel logout names."""
    bridge_id_token: str | None = field(default=None, repr=False)
    """The `id_token_hint` for signing out at the bridge."""


@dataclass(frozen=True, slots=True)
class PortalRequest:
    """A portal's authorization request waiting for the resident to sign in."""

    client_id: str
    redirect_uri: str
    state: str | None
    force_login: bool = False
    """`prompt=login`: the resident signs in again even with a live platform session."""


@dataclass(frozen=True, slots=True)
class LoginFlow:
    """An iAM Smart sign-in through the bridge, keyed by its OIDC `state`."""

    state: str
    nonce: str
    code_verifier: str
    browser: str
    """Value of the login cookie: the callback must come back to the same browser."""
    resume: str | None = None
    """Id of the portal request to complete afterwards."""
    locale: str | None = None


@dataclass(frozen=True, slots=True)
class PendingBinding:
    """A signed-in but unbound resident, between the callback and the 回乡证 form."""

    bridge_subject: str
    claims: Mapping[str, Any] = field(repr=False)
    acr: str | None
    resume: str | None
    locale: str | None
    attempts: int = 0
    bridge_sid: str | None = None
    bridge_id_token: str | None = field(default=None, repr=False)


def csrf_token(secret: str, purpose: str, record_id: str) -> str:
    """A token tied to one server-side record, so no extra state is kept for it."""
    message = f"{purpose}:{record_id}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def csrf_valid(secret: str, purpose: str, record_id: str, presented: str) -> bool:
    expected = csrf_token(secret, purpose, record_id)
    return hmac.compare_digest(expected.encode(), presented.encode())
