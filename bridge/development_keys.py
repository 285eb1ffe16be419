"""Development keys for the demo and the tests: the bridge's signing key set and each
upstream's own key material, created when missing and marked as development keys (which
only `BRIDGE_ENV=development` accepts)."""

from __future__ import annotations

from pathlib import Path

from bridge.clock import Clock
from bridge.signing.storage import ensure_development_keyset
from bridge.upstream.iamsmart.kek import ensure_development_kek


def ensure_development_keys(keys_dir: Path, clock: Clock) -> list[str]:
    """Create whatever development key is missing; returns what was created."""
    return [*ensure_development_keyset(keys_dir, clock), *ensure_development_kek(keys_dir)]
