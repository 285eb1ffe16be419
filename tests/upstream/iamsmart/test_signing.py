"""The signed headers of iAM Smart requests (docs/protocols.md §1.8)."""

from __future__ import annotations

from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.upstream.iamsmart.signing import RequestSigner


def test_requests_within_one_second_carry_the_same_timestamp_so_order_cannot_break_it() -> None:
    """iAM Smart refuses a timestamp lower than the previous one; requests in flight
    together arrive in any order, so they are stamped in whole seconds."""
    clock = ManualClock(1_800_000_000.25)
    signer = RequestSigner("client", SecretStr("secret"), clock)
    first = signer.headers(b"")
    clock.advance(0.5)
    second = signer.headers(b"")
    assert first["timestamp"] == second["timestamp"] == "1800000000000"
    assert first["nonce"] != second["nonce"]
    clock.advance(0.5)
    assert signer.headers(b"")["timestamp"] == "1800000001000"


def test_timestamps_never_go_backwards_when_the_clock_does() -> None:
    clock = ManualClock(1_800_000_005.0)
    signer = RequestSigner("client", SecretStr("secret"), clock)
    before = int(signer.headers(b"")["timestamp"])
    clock.advance(-3)
    assert int(signer.headers(b"")["timestamp"]) == before
