"""The audit log contract, run against Redis Streams and memory alike (dex's storage
conformance idea): compare-and-append, reading in order, and a chain that stays whole
when two bridge instances append at the same time."""

from __future__ import annotations

import asyncio
import uuid

import redis.asyncio as aioredis

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import records_of
from bridge.audit.log import Conflict, RedisAuditLog
from bridge.audit.records import GENESIS, digest_of
from bridge.audit.verify import verify
from bridge.clock import ManualClock
from tests.audit.conftest import LogFactory


async def test_an_empty_log_has_no_head_and_no_records(new_log: LogFactory) -> None:
    log = new_log()
    assert await log.head() is None
    assert await log.read() == []


async def test_the_first_record_must_follow_genesis(new_log: LogFactory) -> None:
    log = new_log()
    refused = await log.append("f" * 64, '{"seq":1}', digest_of('{"seq":1}'))
    assert refused == Conflict(None)
    assert await log.append(GENESIS, '{"seq":1}', digest_of('{"seq":1}')) is None
    head = await log.head()
    assert head is not None and head.body == '{"seq":1}'


async def test_append_after_a_stale_head_changes_nothing_and_names_the_real_head(
    new_log: LogFactory,
) -> None:
    log = new_log()
    first = '{"seq":1}'
    await log.append(GENESIS, first, digest_of(first))
    conflict = await log.append(GENESIS, '{"seq":1,"x":1}', "0" * 64)
    assert conflict is not None and conflict.head is not None
    assert conflict.head.digest == digest_of(first) and conflict.head.body == first
    assert [r.body for r in await log.read()] == [first]


async def test_records_are_read_in_append_order_page_by_page(new_log: LogFactory) -> None:
    trail = HashChainAuditTrail(new_log(), ManualClock(1_800_000_000))
    for n in range(7):
        await trail.consent_decided(subject=f"s{n}", client_id="c", claims=["name"], allowed=True)
    log = new_log()
    first_page = await log.read(count=3)
    rest = await log.read(after=first_page[-1].entry_id, count=10)
    assert [r.seq for r in first_page + rest] == list(range(1, 8))
    assert [r.seq async for r in records_of(log, batch=2)] == list(range(1, 8))


async def test_two_instances_appending_at_once_keep_one_unbroken_chain(
    new_log: LogFactory,
) -> None:
    clock = ManualClock(1_800_000_000)
    instances = [HashChainAuditTrail(new_log(), clock) for _ in range(2)]

    async def release(trail: HashChainAuditTrail, n: int) -> None:
        await trail.attributes_released(
            subject=f"sub-{n}", client_id="c", claims=["name"], grant_id=f"g{n}"
        )

    await asyncio.gather(*(release(instances[n % 2], n) for n in range(60)))
    records = [r async for r in records_of(new_log())]
    report = verify(records)
    assert report.ok, report.findings
    assert report.count == 60 and report.head_seq == 60
    assert sorted(r.fields()["grant_id"] for r in records) == sorted(f"g{n}" for n in range(60))


async def test_a_group_of_records_is_appended_whole_or_not_at_all(new_log: LogFactory) -> None:
    log = new_log()
    first = '{"seq":1}'
    await log.append(GENESIS, first, digest_of(first))
    stale = await log.append_many(GENESIS, [('{"seq":1,"a":1}', "a" * 64), ('{"seq":2}', "b" * 64)])
    assert stale is not None
    assert [r.body for r in await log.read()] == [first], "nothing of a refused group is kept"
    assert (
        await log.append_many(digest_of(first), [('{"seq":2}', "c" * 64), ('{"seq":3}', "d" * 64)])
        is None
    )
    assert [r.body for r in await log.read()] == [first, '{"seq":2}', '{"seq":3}']


class CountingLog:
    """The real log, counting its append calls (instrumentation, not a stand-in)."""

    def __init__(self, log: object) -> None:
        self.log = log
        self.appends = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.log, name)

    async def append_many(self, prev: str, entries: list[tuple[str, str]]) -> object:
        self.appends += 1
        return await self.log.append_many(prev, entries)  # type: ignore[attr-defined]


async def test_concurrent_records_of_one_instance_share_round_trips_and_one_chain(
    redis_url: str,
) -> None:
    """Group commit needs appends that take time (a network round trip): on Redis,
    records arriving during an append wait and go together in the next one."""
    client = aioredis.Redis.from_url(redis_url)
    key = f"test:audit:{uuid.uuid4().hex}"
    counting = CountingLog(RedisAuditLog(client, key))
    trail = HashChainAuditTrail(counting, ManualClock(1_800_000_000))  # type: ignore[arg-type]
    await asyncio.gather(
        *(
            trail.token_exchanged(
                subject=f"s{n}",
                client_id="c",
                audiences=["a"],
                scopes=["openid"],
                issued_token_type="t",
                actor=None,
            )
            for n in range(100)
        )
    )
    report = verify([r async for r in records_of(RedisAuditLog(client, key))])
    await client.delete(key)
    await client.aclose()
    assert report.ok and report.count == 100
    assert counting.appends < 100, "records waiting for an append go in the next one together"
