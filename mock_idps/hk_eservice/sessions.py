"""The service's server-side records: sign-ins in progress and resident sessions.

They live in memory with an expiry read from the injected clock (the mock is one
process); the browser only ever holds an unguessable record id in an HttpOnly cookie.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")

SESSION_COOKIE = "hk_session"
LOGIN_COOKIE = "hk_login"
LANG_COOKIE = "lang"


def new_id() -> str:
    return secrets.token_urlsafe(32)


class Expiring(Generic[T]):
    """Records by id, each gone once its lifetime is over."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._records: dict[str, tuple[float, T]] = {}

    def _live(self, key: str) -> T | None:
        entry = self._records.get(key)
        if entry is not None and entry[0] > self._clock():
            return entry[1]
        self._records.pop(key, None)
        return None

    def add(self, key: str, record: T, lifetime: float) -> None:
        now = self._clock()
        # A mock serves few residents: dropping expired records on every write bounds
        # memory without a background task.
        self._records = {k: v for k, v in self._records.items() if v[0] > now}
        self._records[key] = (now + lifetime, record)

    def find(self, key: str | None) -> T | None:
        return self._live(key) if key else None

    def pop(self, key: str | None) -> T | None:
        """The record, removed: the only way a one-time record is used."""
        record = self.find(key)
        if key:
            self._records.pop(key, None)
        return record

    def remove_where(self, keep_not: Callable[[T], bool]) -> int:
        """Remove every live record `keep_not` picks; how many."""
        doomed = [
            k for k in list(self._records) if (r := self._live(k)) is not None and keep_not(r)
        ]
        for k in doomed:
            self._records.pop(k, None)
        return len(doomed)

    def __len__(self) -> int:
        now = self._clock()
        return sum(1 for expires, _ in self._records.values() if expires > now)


@dataclass(frozen=True, slots=True)
class LoginFlow:
    """A sign-in at the bridge, keyed by its OIDC `state`."""

    nonce: str
    code_verifier: str
    browser: str
    """The login cookie's value: the callback must come back to the same browser."""
    idp_hint: str
    locale: str


@dataclass(frozen=True, slots=True)
class ResidentSession:
    """What the service knows about a signed-in resident: only what the bridge sent."""

    subject: str
    acr: str | None
    idp: str
    idp_from_claim: bool
    """Whether the bridge named the identity provider, or it is the button pressed."""
    csrf_token: str
    userinfo: Mapping[str, Any] = field(repr=False)
    id_token_claims: Mapping[str, Any] = field(repr=False)
    id_token: str = field(repr=False)
    """For RP-initiated logout at the bridge (`id_token_hint`), when it comes."""
