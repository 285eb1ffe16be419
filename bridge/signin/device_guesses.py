"""How many user codes a phone may try (RFC 8628 §5.1): a fixed-window counter per
browser (its cookie's digest) and one per network address, in the store, so every
instance counts together.

Every lookup counts, right or wrong: counting only misses would let a hit through after
the limit. A resident's own sign-in costs two (the page, then the answer). With the
defaults (10 per browser, 30 per address, per 10 minutes) and the arithmetic in
docs/architecture.md, one address guessing for a whole day finds a live code with a
probability of about 10⁻⁵ even with 100 kiosks waiting at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from bridge.browser import refused
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import digest, key

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class GuessLimits:
    per_browser: int
    per_address: int
    window: int
    """Seconds; each counter restarts this long after its first guess."""


class DeviceGuesses:
    def __init__(self, backend: KeyValueBackend, limits: GuessLimits) -> None:
        self._backend = backend
        self._limits = limits

    async def spend(self, browser_binding: str, address: str | None) -> None:
        """Count one lookup; refused (a page) when either counter is over its limit."""
        limits = self._limits
        counted = [(key("device-guess", "b:" + browser_binding), limits.per_browser)]
        if address:
            counted.append((key("device-guess", "a:" + digest(address)), limits.per_address))
        over = False
        for k, limit in counted:
            over = await self._backend.increment(k, limits.window) > limit or over
        if over:
            log.warning("security.device_guess_limit")
            raise refused("error_device_guesses", "Too many user codes tried; wait and retry")
