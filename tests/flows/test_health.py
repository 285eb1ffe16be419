"""Liveness and readiness: an instance that cannot do its job leaves the load balancer."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.flows.conftest import Chain, running_chain
from tests.signing.support import ParkedTicker, step


def test_a_serving_instance_is_live_and_ready(chain: Chain) -> None:
    assert httpx.get(f"{chain.bridge}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{chain.bridge}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": True, "keys": True}


def test_an_instance_that_cannot_read_the_key_set_stops_being_ready(
    tmp_path: Path, redis_url: str
) -> None:
    """It would go on signing with a key the other instances may have retired. The
    background step is parked and run by the test, so nothing rewrites the key set
    behind its back."""
    with running_chain(tmp_path, redis_url, key_ticker=ParkedTicker()) as chain:
        step(chain.bridge_app)  # a successful read
        assert httpx.get(f"{chain.bridge}/readyz").status_code == 200
        (chain.keys_dir / "signing" / "keyset.json").write_text("{ not json")
        for _ in range(4):  # three refresh intervals, each read failing
            chain.bridge_clock.advance(10)
            step(chain.bridge_app)
        ready = httpx.get(f"{chain.bridge}/readyz")
        assert ready.status_code == 503
        assert ready.json()["keys"] is False
        assert httpx.get(f"{chain.bridge}/healthz").status_code == 200, "still alive"
