"""Liveness and readiness: an instance that cannot do its job leaves the load balancer."""

from __future__ import annotations

import httpx

from tests.flows.conftest import Chain


def test_a_serving_instance_is_live_and_ready(chain: Chain) -> None:
    assert httpx.get(f"{chain.bridge}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{chain.bridge}/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "store": True, "keys": True}


def test_an_instance_that_cannot_read_the_key_set_stops_being_ready(chain: Chain) -> None:
    """It would go on signing with a key the other instances may have retired."""
    (chain.keys_dir / "signing" / "keyset.json").write_text("{ not json")
    chain.bridge_clock.advance(31)  # three refresh intervals without a successful read
    ready = httpx.get(f"{chain.bridge}/readyz")
    assert ready.status_code == 503
    assert ready.json()["keys"] is False
    assert httpx.get(f"{chain.bridge}/healthz").status_code == 200, "still alive"
