"""The due queue capability (back-channel logout deliveries, session expiries), one
suite for memory and every Redis topology."""

from __future__ import annotations

import asyncio

from bridge.store.backend import KeyValueBackend

NOW = 1_800_000_000.0


async def test_only_due_members_are_claimed_earliest_first(backend: KeyValueBackend) -> None:
    await backend.queue_push("q", b"later", NOW + 30, 600)
    await backend.queue_push("q", b"second", NOW - 1, 600)
    await backend.queue_push("q", b"first", NOW - 5, 600)
    assert await backend.queue_claim("q", NOW, lease=10, count=10) == [b"first", b"second"]
    assert await backend.queue_length("q") == 3


async def test_a_claimed_member_comes_back_when_its_lease_ends(backend: KeyValueBackend) -> None:
    """A worker that dies mid-delivery loses nothing: the member is due again later."""
    await backend.queue_push("q", b"job", NOW, 600)
    assert await backend.queue_claim("q", NOW, lease=10, count=10) == [b"job"]
    assert await backend.queue_claim("q", NOW + 9, lease=10, count=10) == []
    assert await backend.queue_claim("q", NOW + 10, lease=10, count=10) == [b"job"]


async def test_concurrent_claims_never_share_a_member(backend: KeyValueBackend) -> None:
    for i in range(20):
        await backend.queue_push("q", f"m{i}".encode(), NOW, 600)
    claims = await asyncio.gather(
        *(backend.queue_claim("q", NOW, lease=60, count=3) for _ in range(10))
    )
    claimed = [m for batch in claims for m in batch]
    assert sorted(claimed) == sorted(f"m{i}".encode() for i in range(20))


async def test_push_reschedules_and_remove_forgets(backend: KeyValueBackend) -> None:
    await backend.queue_push("q", b"job", NOW, 600)
    await backend.queue_push("q", b"job", NOW + 100, 600)  # a retry, later
    assert await backend.queue_claim("q", NOW + 50, lease=1, count=5) == []
    assert await backend.queue_length("q") == 1
    await backend.queue_remove("q", b"job")
    await backend.queue_remove("q", b"absent")
    assert await backend.queue_length("q") == 0
    assert await backend.queue_claim("q", NOW + 1000, lease=1, count=5) == []


async def test_two_tabs_opening_a_session_at_once_share_it(backend: KeyValueBackend) -> None:
    """Bridge sessions (store/sessions.py): one per resident per browser, even when two
    sign-ins finish together; after it ends, the next sign-in opens a new one."""
    from bridge.clock import ManualClock
    from bridge.store.sealing import Sealer
    from bridge.store.sessions import SessionStore

    store = SessionStore(backend, Sealer("test-store-key-" + "x" * 32), ManualClock(NOW))
    opened = await asyncio.gather(*(store.open("b" * 64, "r1", "iamsmart", 600) for _ in range(6)))
    assert len({s.sid for s in opened}) == 1
    other = await store.open("b" * 64, "r2", "iamsmart", 600)
    assert other.sid != opened[0].sid, "another resident at the same kiosk browser"
    assert {s.sid for s in await store.of_browser("b" * 64)} == {opened[0].sid, other.sid}
    assert await store.update(opened[0].sid, lambda _: None)
    again = await store.open("b" * 64, "r1", "iamsmart", 600)
    assert again.sid != opened[0].sid
