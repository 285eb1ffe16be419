"""`bridge audit verify` finds every kind of tampering and says which record it hit:
an altered record (re-hashed or not), a removed one, an inserted one (forged or
copied), records kept out of order, and — given the head noted earlier — records cut
off the end. Checked on export files and on the live Redis stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis
from typer.testing import CliRunner

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import export, read_export
from bridge.audit.log import MemoryAuditLog, RedisAuditLog
from bridge.audit.records import canonical, digest_of
from bridge.audit.verify import verify
from bridge.cli import app
from bridge.clock import ManualClock

Lines = list[dict[str, Any]]


async def _record_six(trail: HashChainAuditTrail, clock: ManualClock) -> None:
    for n in range(1, 7):
        clock.advance(1)
        await trail.consent_decided(
            subject=f"pairwise-{n}", client_id="gd-platform-dev", claims=["name"], allowed=True
        )


@pytest.fixture
async def exported(tmp_path: Path) -> Path:
    clock = ManualClock(1_800_000_000)
    log = MemoryAuditLog()
    await _record_six(HashChainAuditTrail(log, clock), clock)
    path = tmp_path / "audit.jsonl"
    with path.open("w", encoding="utf-8") as out:
        await export(log, out)
    return path


def _edit(path: Path, change: Callable[[Lines], Lines]) -> Path:
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    path.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in change(lines)))
    return path


def _kinds(path: Path, expect_head: str | None = None) -> list[tuple[str, int | None]]:
    report = verify(read_export(path), expect_head=expect_head)
    return [(f.kind, f.seq) for f in report.findings]


def _rehash(line: dict[str, Any]) -> dict[str, Any]:
    return {**line, "hash": digest_of(canonical(line["record"]))}


def test_an_untouched_export_verifies(exported: Path) -> None:
    report = verify(read_export(exported))
    assert report.ok and report.count == 6 and report.head_seq == 6


def test_an_altered_record_is_named(exported: Path) -> None:
    def alter(lines: Lines) -> Lines:
        lines[2]["record"]["decision"] = "deny"
        return lines

    assert _kinds(_edit(exported, alter)) == [("altered", 3)]


def test_an_altered_and_rehashed_record_is_named_by_the_broken_link(exported: Path) -> None:
    def alter(lines: Lines) -> Lines:
        lines[2]["record"]["fields"] = ["name", "hk_id_number"]
        lines[2] = _rehash(lines[2])
        return lines

    assert _kinds(_edit(exported, alter)) == [("altered", 3)]


def test_a_removed_record_is_named(exported: Path) -> None:
    assert _kinds(_edit(exported, lambda lines: lines[:3] + lines[4:])) == [("removed", 4)]


def test_removing_the_first_records_is_detected(exported: Path) -> None:
    assert _kinds(_edit(exported, lambda lines: lines[2:])) == [("removed", 1), ("removed", 2)]


def test_a_forged_record_inserted_into_the_chain_is_named(exported: Path) -> None:
    def insert(lines: Lines) -> Lines:
        forged = json.loads(json.dumps(lines[3]))
        forged["record"]["subject"] = "someone-else"
        forged["record"]["prev"] = lines[2]["hash"]
        return [*lines[:3], _rehash(forged), *lines[3:]]

    assert _kinds(_edit(exported, insert)) == [("inserted", 4)]


def test_a_copied_record_inserted_again_is_named(exported: Path) -> None:
    assert _kinds(_edit(exported, lambda lines: [*lines, lines[1]])) == [("inserted", 2)]


def test_reordered_records_are_named(exported: Path) -> None:
    def swap(lines: Lines) -> Lines:
        lines[1], lines[2] = lines[2], lines[1]
        return lines

    assert _kinds(_edit(exported, swap)) == [("reordered", 2)]


def test_records_cut_off_the_end_are_caught_by_the_head_noted_earlier(exported: Path) -> None:
    head = verify(read_export(exported)).head
    truncated = _edit(exported, lambda lines: lines[:4])
    assert _kinds(truncated) == [], "a chain alone cannot see its own end"
    assert _kinds(truncated, expect_head=head) == [("head", 6)]


def test_a_line_that_is_not_a_record_is_reported(exported: Path) -> None:
    with exported.open("a") as out:
        out.write("not json\n")
    assert ("unreadable", None) in _kinds(exported)


def test_verify_command_exits_1_and_names_the_record(exported: Path) -> None:
    def alter(lines: Lines) -> Lines:
        lines[4]["record"]["client_id"] = "another-client"
        return lines

    result = CliRunner().invoke(app, ["audit", "verify", "--file", str(_edit(exported, alter))])
    assert result.exit_code == 1
    assert "ALTERED: record 5 was altered" in result.output


async def _seed_redis(redis_url: str, key: str) -> None:
    redis.Redis.from_url(redis_url).delete(key)
    log = RedisAuditLog.from_url(redis_url, key)
    clock = ManualClock(1_800_000_000)
    await _record_six(HashChainAuditTrail(log, clock), clock)
    await log.aclose()


def test_tampering_with_the_live_redis_stream_is_detected(redis_url: str) -> None:
    key = "test:audit:tamper"
    plain = redis.Redis.from_url(redis_url)
    asyncio.run(_seed_redis(redis_url, key))
    runner = CliRunner()
    intact = runner.invoke(app, ["audit", "verify", "--redis", redis_url, "--key", key])
    assert intact.exit_code == 0, intact.output
    assert "intact: 6 records" in intact.output

    entries = plain.xrange(key)
    plain.xdel(key, entries[2][0])  # an operator with Redis access removes record 3
    broken = runner.invoke(app, ["audit", "verify", "--redis", redis_url, "--key", key])
    plain.delete(key)
    assert broken.exit_code == 1
    assert "REMOVED: record 3 was removed" in broken.output


def test_export_command_writes_a_file_that_verifies(redis_url: str, tmp_path: Path) -> None:
    key = "test:audit:export"
    asyncio.run(_seed_redis(redis_url, key))
    out = tmp_path / "trail.jsonl"
    runner = CliRunner()
    exported = runner.invoke(
        app, ["audit", "export", "--redis", redis_url, "--key", key, "-o", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    head = exported.output.strip().rsplit(" ", 1)[-1]
    checked = runner.invoke(app, ["audit", "verify", "--file", str(out), "--expect-head", head])
    redis.Redis.from_url(redis_url).delete(key)
    assert checked.exit_code == 0, checked.output
    assert len(out.read_text().splitlines()) == 6
