"""One suite, both backends (dex storage/conformance): the memory store of the demo
must behave exactly like Redis."""

from __future__ import annotations

import asyncio

from bridge.clock import ManualClock
from bridge.model import (
    AuthorizationCode,
    ClientRequest,
    ClientSignIn,
    CodeEnding,
    Grant,
    UpstreamFlow,
)
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import code_key, grant_id_for_code, grant_key
from bridge.store.records import ReplayedCode, Stores

NOW = 1_800_000_000.0


def a_sign_in() -> ClientSignIn:
    return ClientSignIn(
        request=ClientRequest(client_id="gd-platform", scopes=("openid", "profile")),
        ending=CodeEnding(
            redirect_uri="https://gd.example/cb",
            state="s1",
            nonce="n1",
            code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        ),
        released_claims=("name",),
    )


def a_flow(flow_id: str = "flow-1", ttl: float = 60) -> UpstreamFlow:
    return UpstreamFlow(
        state=flow_id,
        upstream="iamsmart",
        purpose=a_sign_in(),
        upstream_fields=("chName",),
        browser_binding="b" * 64,
        expires_at=NOW + ttl,
    )


def a_code(ttl: float = 60) -> AuthorizationCode:
    return AuthorizationCode(
        client_id="gd-platform",
        redirect_uri="https://gd.example/cb",
        code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        code_challenge_method="S256",
        grant_id="g1",
        subject="sub-1",
        scopes=("openid",),
        auth_time=int(NOW),
        expires_at=NOW + ttl,
    )


async def test_created_value_reads_back(backend: KeyValueBackend) -> None:
    await backend.put("k", b"v", 10)
    assert await backend.get("k") == b"v"


async def test_put_new_does_not_overwrite(backend: KeyValueBackend) -> None:
    assert await backend.put_new("k", b"first", 10) is True
    assert await backend.put_new("k", b"second", 10) is False
    assert await backend.get("k") == b"first"


async def test_take_is_single_use(backend: KeyValueBackend) -> None:
    await backend.put("k", b"v", 10)
    assert await backend.take("k") == b"v"
    assert await backend.take("k") is None
    assert await backend.get("k") is None


async def test_swap_replaces_only_an_existing_value(backend: KeyValueBackend) -> None:
    assert await backend.swap("absent", b"x", 10) is None
    assert await backend.get("absent") is None
    await backend.put("k", b"old", 10)
    assert await backend.swap("k", b"new", 10) == b"old"
    assert await backend.get("k") == b"new"


async def test_two_concurrent_takes_exactly_one_wins(stores: Stores) -> None:
    for round_ in range(20):
        await stores.flows.put(a_flow(f"race-{round_}"))
        results = await asyncio.gather(*(stores.flows.take(f"race-{round_}") for _ in range(8)))
        assert sum(r is not None for r in results) == 1


async def test_flow_state_round_trips_and_is_taken_once(stores: Stores) -> None:
    flow = a_flow()
    await stores.flows.put(flow)
    assert await stores.flows.take("flow-1") == flow
    assert await stores.flows.take("flow-1") is None


async def test_expired_flow_state_is_gone(stores: Stores, clock: ManualClock) -> None:
    await stores.flows.put(a_flow(ttl=30))
    clock.advance(31)
    assert await stores.flows.take("flow-1") is None


async def test_a_value_without_a_positive_ttl_is_refused(backend: KeyValueBackend) -> None:
    """Nothing may be stored forever by mistake."""
    for ttl in (0, -1):
        try:
            await backend.put("k", b"v", ttl)
        except ValueError:
            pass
        else:
            raise AssertionError(f"TTL {ttl} must be refused")
    assert await backend.get("k") is None


async def test_code_redeems_once_and_replay_names_its_grant(stores: Stores) -> None:
    await stores.codes.put("the-code", a_code())
    first = await stores.codes.redeem("the-code", remember_for=600)
    assert isinstance(first, AuthorizationCode)
    second = await stores.codes.redeem("the-code", remember_for=600)
    assert second == ReplayedCode(grant_id_for_code("the-code"))


async def test_unknown_code_is_none_and_leaves_nothing_behind(
    stores: Stores, backend: KeyValueBackend
) -> None:
    assert await stores.codes.redeem("never-issued", remember_for=600) is None
    assert await stores.codes.redeem("never-issued", remember_for=600) is None
    # Nothing written for it: no "consumed" marker, no grant (a flood of random codes
    # must not fill the store).
    assert await backend.get(code_key("never-issued")) is None
    assert await backend.get(grant_key(grant_id_for_code("never-issued"))) is None
    # ...whereas a real code leaves its marker where the check above looked.
    await stores.codes.put("the-code", a_code())
    await stores.codes.redeem("the-code", remember_for=600)
    assert await backend.get(code_key("the-code")) is not None


async def test_expired_code_does_not_redeem(stores: Stores, clock: ManualClock) -> None:
    await stores.codes.put("c", a_code(ttl=60))
    clock.advance(61)
    assert await stores.codes.redeem("c", remember_for=600) is None


async def test_concurrent_redemptions_issue_one_code(stores: Stores) -> None:
    await stores.codes.put("race", a_code())
    results = await asyncio.gather(
        *(stores.codes.redeem("race", remember_for=600) for _ in range(8))
    )
    assert sum(isinstance(r, AuthorizationCode) for r in results) == 1
    assert sum(isinstance(r, ReplayedCode) for r in results) == 7


async def test_revoked_grant_is_gone(stores: Stores) -> None:
    grant = Grant(
        grant_id="g1",
        client_id="c",
        subject="s",
        scopes=("openid",),
        claims={"name": "黃詠峯"},
        auth_time=int(NOW),
        expires_at=NOW + 600,
    )
    await stores.grants.put(grant)
    assert await stores.grants.get("g1") == grant
    await stores.grants.revoke("g1")
    assert await stores.grants.get("g1") is None


async def test_personal_data_is_sealed_at_rest(stores: Stores, backend: KeyValueBackend) -> None:
    grant = Grant(
        grant_id="g2",
        client_id="c",
        subject="s",
        scopes=("openid",),
        claims={"hk_id_number": "A123456(3)"},
        auth_time=int(NOW),
        expires_at=NOW + 600,
    )
    await stores.grants.put(grant)
    raw = await backend.get(grant_key("g2"))
    assert raw is not None
    assert b"A123456" not in raw


async def test_sealed_record_moved_to_another_key_does_not_open(
    stores: Stores, backend: KeyValueBackend
) -> None:
    await stores.flows.put(a_flow("original"))
    raw = await backend.get("bridge:flow:original")
    assert raw is not None
    await backend.put("bridge:flow:forged", raw, 60)
    try:
        await stores.flows.take("forged")
    except Exception as exc:
        assert "failed authentication" in str(exc)
    else:
        raise AssertionError("a record under another key must not open")


async def test_replay_cache_accepts_a_value_once(stores: Stores) -> None:
    assert await stores.replay.first_use("jti", "abc", 60) is True
    assert await stores.replay.first_use("jti", "abc", 60) is False
    assert await stores.replay.first_use("nonce", "abc", 60) is True


async def test_batch_runs_its_operations_in_order_with_one_result_each(
    backend: KeyValueBackend,
) -> None:
    from bridge.store.backend import Get, Swap

    await backend.put("a", b"1", 10)
    results = await backend.batch(
        [Get("a"), Swap("a", b"2", 10), Get("a"), Get("missing"), Swap("missing", b"x", 10)]
    )
    assert results == [b"1", b"1", b"2", None, None]
    assert await backend.get("missing") is None, "a swap never creates a key"
    assert await backend.batch([]) == []


async def test_a_batch_of_reads_alone_answers_each_key_in_order(
    backend: KeyValueBackend,
) -> None:
    """On one node the reads travel as one MGET; on a Cluster the keys of a batch may
    live on different nodes (these hash to different slots)."""
    from bridge.store.backend import Get

    keys = [f"grant:{n}" for n in range(6)]
    for n, name in enumerate(keys):
        if n % 2 == 0:
            await backend.put(name, f"value-{n}".encode(), 10)
    results = await backend.batch([Get(name) for name in reversed(keys)])
    assert results == [None, b"value-4", None, b"value-2", None, b"value-0"]


async def test_code_redeemed_with_its_grant_in_one_call(stores: Stores) -> None:
    grant_id = grant_id_for_code("code-with-grant")
    grant = Grant(
        grant_id=grant_id,
        client_id="gd-platform",
        subject="sub-1",
        scopes=("openid",),
        claims={"name": "x"},
        auth_time=int(NOW),
        expires_at=NOW + 600,
    )
    await stores.grants.put(grant)
    await stores.codes.put("code-with-grant", a_code().model_copy(update={"grant_id": grant_id}))
    record, found = await stores.codes.redeem_with_grant("code-with-grant", remember_for=600)
    assert isinstance(record, AuthorizationCode) and found == grant
    again, _ = await stores.codes.redeem_with_grant("code-with-grant", remember_for=600)
    assert again == ReplayedCode(grant_id)


async def test_access_token_lookup_sees_a_revoked_grant_and_a_revoked_token(
    stores: Stores,
) -> None:
    grant = Grant(
        grant_id="g-lookup",
        client_id="c",
        subject="s",
        scopes=("openid",),
        claims={},
        auth_time=int(NOW),
        expires_at=NOW + 600,
    )
    await stores.grants.put(grant)
    assert await stores.access_tokens.grant_for_access_token("g-lookup", "jti-1") == (grant, False)
    await stores.revoked.revoke("jti-1", NOW + 600)
    assert await stores.access_tokens.grant_for_access_token("g-lookup", "jti-1") == (grant, True)
    await stores.grants.revoke("g-lookup")
    assert await stores.access_tokens.grant_for_access_token("g-lookup", "jti-2") == (None, False)


# --- capabilities ----------------------------------------------------------------------


async def test_compare_and_set_writes_only_over_the_expected_value(
    backend: KeyValueBackend,
) -> None:
    assert await backend.compare_and_set("cas", None, b"v1", 10) is True, "absent: created"
    assert await backend.compare_and_set("cas", None, b"v2", 10) is False, "no longer absent"
    assert await backend.compare_and_set("cas", b"stale", b"v2", 10) is False
    assert await backend.get("cas") == b"v1"
    assert await backend.compare_and_set("cas", b"v1", b"v2", 10) is True
    assert await backend.get("cas") == b"v2"
    assert await backend.compare_and_set("cas", b"v2", None, 10) is True, "None deletes"
    assert await backend.get("cas") is None


async def test_concurrent_compare_and_sets_on_one_value_exactly_one_wins(
    backend: KeyValueBackend,
) -> None:
    await backend.put("race-cas", b"start", 10)
    results = await asyncio.gather(
        *(backend.compare_and_set("race-cas", b"start", f"w{i}".encode(), 10) for i in range(8))
    )
    assert sum(results) == 1
    assert await backend.get("race-cas") == f"w{results.index(True)}".encode()


async def test_a_set_collects_members_from_concurrent_adds(backend: KeyValueBackend) -> None:
    await asyncio.gather(*(backend.set_add("set", [f"m{i}".encode()], 10) for i in range(10)))
    assert await backend.set_members("set") == {f"m{i}".encode() for i in range(10)}
    await backend.set_remove("set", [b"m0", b"m1", b"absent"])
    assert await backend.set_members("set") == {f"m{i}".encode() for i in range(2, 10)}
    assert await backend.set_members("no-such-set") == frozenset()


async def test_a_set_without_members_is_gone(backend: KeyValueBackend) -> None:
    await backend.set_add("short-set", [b"only"], 10)
    await backend.set_remove("short-set", [b"only"])
    assert await backend.set_members("short-set") == frozenset()
    await backend.set_add("short-set", [], 10)
    assert await backend.set_members("short-set") == frozenset()


async def test_a_counter_counts_every_concurrent_increment(backend: KeyValueBackend) -> None:
    counts = await asyncio.gather(*(backend.increment("counter", 60) for _ in range(25)))
    assert sorted(counts) == list(range(1, 26))
    assert await backend.increment("counter", 60) == 26
    assert await backend.increment("other-counter", 60) == 1


async def test_the_append_log_appends_only_after_the_expected_head(
    backend: KeyValueBackend,
) -> None:
    log = backend.append_log("test:log")
    assert await log.head() is None
    assert await log.append_many("wrong", [("a", "link-a")], empty="EMPTY") is not None
    assert await log.append_many("EMPTY", [("a", "link-a"), ("b", "link-b")], empty="EMPTY") is None
    conflict = await log.append_many("link-a", [("c", "link-c")], empty="EMPTY")
    assert conflict is not None and conflict.head is not None and conflict.head.link == "link-b"
    assert [e.body for e in await log.read()] == ["a", "b"]
    assert await log.append_many("link-b", [("c", "link-c")], empty="EMPTY") is None
    first = await log.read(count=1)
    assert [e.body for e in await log.read(after=first[0].entry_id)] == ["b", "c"]


async def test_a_lock_is_held_by_one_holder_at_a_time(backend: KeyValueBackend) -> None:
    first, second = backend.lock("test:lock", 30), backend.lock("test:lock", 30)
    assert await first.acquire(wait=0) is True
    assert await second.acquire(wait=0) is False
    assert await second.acquire(wait=0.1) is False, "waits, then gives up"
    assert await first.release() is True
    assert await second.acquire(wait=0) is True
    assert await first.release() is False, "a lock it no longer holds is not released"
    assert await second.release() is True
