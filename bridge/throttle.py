"""Rate limits on what an attacker can repeat cheaply: failed client authentication
(per client), failed code and refresh-token redemption (per client), and sign-ins that
store a flow (per network address). Fixed windows on the store's counter
(`KeyValueBackend.increment`), so every instance counts together.

A limit that is reached answers 429 with Retry-After — `temporarily_unavailable` JSON
at the back-channel endpoints, a page for a browser — before the request is examined:
a client over its failed-authentication limit gets no answer about whether its next
secret was right, so guessing stops there. Counted subjects are stored as digests
(an address is personal data; a client id needs no such care, but one rule is simpler).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bridge.errors import TemporarilyUnavailableError
from bridge.store.backend import Get, KeyValueBackend

CLIENT_AUTH = "client_auth"
REDEMPTION = "redemption"
SIGN_IN = "sign_in"
LIMITS = (CLIENT_AUTH, REDEMPTION, SIGN_IN)


@dataclass(frozen=True, slots=True)
class Limit:
    attempts: int
    """How many in one window; 0 turns the limit off."""
    window: int
    """Seconds."""


class RateLimitedError(TemporarilyUnavailableError):
    """RFC 6585 §4 Too Many Requests; `temporarily_unavailable` is the nearest RFC 6749
    error (the request may succeed later), and Retry-After says when."""

    status_code = 429
    default_description = "Too many requests, retry later"

    def __init__(self, retry_after: int) -> None:
        super().__init__(message_key="error_rate_limited")
        self.retry_after = retry_after


class Throttle:
    def __init__(
        self,
        backend: KeyValueBackend,
        limits: dict[str, Limit],
        *,
        on_limited: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._backend = backend
        self._limits = limits
        self._on_limited = on_limited

    def _key(self, name: str, subject: str, kind: str) -> str:
        digest = hashlib.sha256(subject.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"throttle:{name}:{kind}:{digest}"

    def _refuse(self, name: str, limit: Limit) -> RateLimitedError:
        self._on_limited(name)
        return RateLimitedError(limit.window)

    async def check(self, name: str, subject: str | None) -> None:
        """Refuse when `subject` has used up its failures for the current window."""
        key = self.blocked_key(name, subject)
        if key is not None:
            self.refuse_if_blocked(name, await self._backend.get(key))

    def blocked_key(self, name: str, subject: str | None) -> str | None:
        """The key `check` reads (None: nothing to read), for a caller that reads it in
        one round trip with its own keys and passes the value to `refuse_if_blocked`."""
        limit = self._limits[name]
        if not limit.attempts or subject is None:
            return None
        return self._key(name, subject, "blocked")

    async def read(self, keys: Sequence[str]) -> list[bytes | None]:
        """The values at several `blocked_key`s, in one round trip."""
        return await self._backend.batch([Get(key) for key in keys])

    def refuse_if_blocked(self, name: str, blocked: bytes | None) -> None:
        if blocked is not None:
            raise self._refuse(name, self._limits[name])

    async def failed(self, name: str, subject: str | None) -> None:
        """Count a failure; the one that reaches the limit blocks `subject` for a window."""
        limit = self._limits[name]
        if not limit.attempts or subject is None:
            return
        count = await self._backend.increment(self._key(name, subject, "failures"), limit.window)
        if count >= limit.attempts:
            await self._backend.put(self._key(name, subject, "blocked"), b"1", limit.window)

    async def attempt(self, name: str, subject: str | None) -> None:
        """Count an attempt, failed or not, and refuse the ones over the limit."""
        limit = self._limits[name]
        if not limit.attempts or subject is None:
            return
        count = await self._backend.increment(self._key(name, subject, "attempts"), limit.window)
        if count > limit.attempts:
            raise self._refuse(name, limit)
