"""When keys change state, derived from the settings that make it safe.

- A `next` key is published at least `jwks_max_age + keys_refresh_interval` before it
  signs: every instance serves it within the refresh interval, and a verifier that
  fetched the JWKS just before that keeps its copy for at most `max-age` (the value the
  JWKS route sends comes from this same policy). So no verifier honouring `max-age`
  meets a kid it has not seen (the gap dex #2759 and hydra #2535 complain about).
- A retired key stays published for the longest signed-token lifetime plus the refresh
  interval: an instance that has not yet seen the rotation may sign with it that much
  longer, and its last token must still verify until it expires (dex's rule).
- Rotation is due `keys_rotation_period` after the active key started signing, and
  waits, if need be, until the next key has been published long enough.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from bridge.settings import Settings
from bridge.signing.index import KeyEntry, KeyIndex
from bridge.signing.keys import Algorithm

SIGNED_TOKEN_LIFETIMES = (
    "access_token_ttl",
    "id_token_ttl",
    "exchanged_token_ttl",
    "outbound_assertion_ttl",
    "kiosk_token_ttl",
)
"""Settings that give the lifetime of something the bridge signs with these keys.
Refresh tokens are opaque (not signed), so they are not here; a new signed token type
must be added (tests/signing/test_policy.py fails until every `*_ttl` is classified)."""


def longest_signed_token_lifetime(settings: Settings) -> int:
    return max((int(getattr(settings, name, 0)) for name in SIGNED_TOKEN_LIFETIMES), default=0)


@dataclass(frozen=True)
class RotationPolicy:
    algorithms: tuple[Algorithm, ...] = ("ES256", "RS256")
    """The enabled algorithms, each with its own lane of keys; the first is the one the
    bridge signs with when nobody chose (BRIDGE_KEYS_ALGORITHM)."""
    rotation_period: float = 7 * 86400
    """0: no automatic rotation (operators run `bridge keys rotate`)."""
    jwks_max_age: int = 300
    refresh_interval: float = 10
    longest_token_lifetime: float = 600

    @classmethod
    def from_settings(cls, settings: Settings) -> RotationPolicy:
        return cls(
            algorithms=settings.enabled_algorithms,
            rotation_period=settings.keys_rotation_period,
            jwks_max_age=settings.jwks_max_age,
            refresh_interval=settings.keys_refresh_interval,
            longest_token_lifetime=longest_signed_token_lifetime(settings),
        )

    @property
    def algorithm(self) -> Algorithm:
        return self.algorithms[0]

    @property
    def automatic(self) -> bool:
        return self.rotation_period > 0

    @property
    def prepublication(self) -> float:
        """Least time between publishing a key and signing with it."""
        return self.jwks_max_age + self.refresh_interval

    @property
    def retirement(self) -> float:
        """Least time a retired key stays published."""
        return self.longest_token_lifetime + self.refresh_interval

    def ripe_at(self, entry: KeyEntry) -> float:
        """When a next key has been published long enough to sign."""
        return entry.created_at + self.prepublication

    def removable_at(self, entry: KeyEntry) -> float:
        return entry.since + self.retirement

    def rotation_due_at(self, index: KeyIndex, alg: str) -> float | None:
        """When the schedule rotates the lane of `alg` (None without automatic rotation
        or without an active key there)."""
        active = index.active_for(alg)
        if not self.automatic or active is None:
            return None
        return active.since + self.rotation_period

    def next_rotation_at(self, index: KeyIndex, alg: str, now: float) -> float:
        """When the lane's scheduled rotation will actually happen: when it is due and
        the next key is ripe (a missing next key is made at once, so ripe a window from
        now)."""
        due = self.rotation_due_at(index, alg)
        if due is None:
            return math.inf
        upcoming = index.next_for(alg)
        ripe = self.ripe_at(upcoming) if upcoming is not None else now + self.prepublication
        return max(due, ripe)

    def soonest_rotation_at(self, index: KeyIndex, now: float) -> float:
        """The next scheduled rotation in any lane."""
        return min((self.next_rotation_at(index, a, now) for a in index.lanes), default=math.inf)

    def problems(self) -> list[str]:
        if self.automatic and self.rotation_period < self.prepublication:
            return [
                f"BRIDGE_KEYS_ROTATION_PERIOD ({self.rotation_period:g} s) is shorter than "
                f"the pre-publication window ({self.prepublication:g} s = "
                "BRIDGE_JWKS_MAX_AGE + BRIDGE_KEYS_REFRESH_INTERVAL)"
            ]
        return []
