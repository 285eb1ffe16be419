"""Prometheus metrics (text exposition format 0.0.4) served on `/metrics`.

Each app has its own `CollectorRegistry` (tests build many apps in one process, and the
global registry would refuse the second one's metrics). Gauges about keys are computed
when scraped, from the key set this instance serves and the injected clock.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

if TYPE_CHECKING:
    from bridge.signing.ring import KeyRing

CONTENT_TYPE = CONTENT_TYPE_LATEST


class BridgeMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.jwks_requests = Counter(
            "bridge_jwks_requests",
            "Requests for the JWKS (/jwks.json).",
            registry=self.registry,
        )
        self.unknown_kid = Counter(
            "bridge_unknown_kid_lookups",
            "Tokens presented to the bridge naming a kid its key set does not hold.",
            registry=self.registry,
        )
        self.key_changes = Counter(
            "bridge_signing_key_changes",
            "Changes this instance made to the shared key set, by kind.",
            ["change"],
            registry=self.registry,
        )
        self.backchannel_logout = Counter(
            "bridge_backchannel_logout",
            "Back-channel logout deliveries by client and outcome (queued, delivered, "
            "retried, failed).",
            ["client_id", "outcome"],
            registry=self.registry,
        )
        self.sessions_ended = Counter(
            "bridge_sessions_ended",
            "Bridge sessions ended, by what ended them.",
            ["reason"],
            registry=self.registry,
        )
        self.keyset_refresh_errors = Counter(
            "bridge_keyset_refresh_errors",
            "Failed reads of the shared key set (this instance kept its previous one).",
            registry=self.registry,
        )
        self._key_age = Gauge(
            "bridge_signing_key_age_seconds",
            "How long the active signing key has been signing.",
            registry=self.registry,
        )
        self._to_rotation = Gauge(
            "bridge_signing_key_rotation_in_seconds",
            "Seconds to the next automatic rotation (+Inf: automatic rotation is off; "
            "negative: overdue, rotation is failing).",
            registry=self.registry,
        )
        self._version = Gauge(
            "bridge_keyset_version",
            "Version of the shared key set this instance serves (equal on every "
            "instance once a change has propagated).",
            registry=self.registry,
        )
        self._since_refresh = Gauge(
            "bridge_keyset_refresh_age_seconds",
            "Seconds since this instance last read the shared key set successfully.",
            registry=self.registry,
        )
        self._keys = Gauge(
            "bridge_signing_keys",
            "Published signing keys, by state.",
            ["state"],
            registry=self.registry,
        )

    def watch(self, ring: KeyRing) -> None:
        """Compute the key gauges from `ring` whenever they are scraped."""
        now = ring.clock.now
        # The oldest active key: the lane most overdue for rotation.
        self._key_age.set_function(
            lambda: max((now() - e.since for e in ring.index.actives), default=0.0)
        )
        self._to_rotation.set_function(
            lambda: (
                ring.policy.soonest_rotation_at(ring.index, now()) - now()
                if ring.policy.automatic
                else math.inf
            )
        )
        self._version.set_function(lambda: ring.index.version)
        self._since_refresh.set_function(lambda: now() - ring.refreshed_at)
        for state in ("next", "active", "retired"):
            self._keys.labels(state).set_function(
                lambda s=state: sum(1 for _ in ring.index.in_state(s))  # type: ignore[misc]
            )

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
