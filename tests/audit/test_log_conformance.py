"""The audit log contract, run against Redis Streams and memory alike (dex's storage
conformance idea): compare-and-append, reading in order, and a chain that stays whole
when two bridge instances append at the same time."""

from __future__ import annotations

import asyncio

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import records_of
from bridge.audit.log import Conflict
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
