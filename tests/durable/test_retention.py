"""Audit retention on PostgreSQL: `bridge audit prune` deletes records older than the
retention period and leaves a sealed checkpoint; `bridge audit verify` starts from it,
still catches tampering with what is kept, and catches a checkpoint moved forward by
someone without the bridge's secret (records removed before their time)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import psycopg
from typer.testing import CliRunner

from bridge.audit.chain import HashChainAuditTrail
from bridge.cli import app as cli
from bridge.clock import SystemClock
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from bridge.durable.retention import CheckpointSeal

STORE_KEY = "retention-test-store-key-" + "x" * 32


def append(database_url: str, count: int) -> None:
    async def run() -> None:
        database = Database(database_url)
        trail = HashChainAuditTrail(PostgresAuditLog(database), SystemClock())
        for n in range(count):
            await trail.attributes_released(
                subject=f"s{n}", client_id="portal", claims=["name"], grant_id=f"g{n}"
            )
        await database.aclose()

    asyncio.run(run())


def age(database_url: str, through: int, *, years: int = 4) -> None:
    """Records 1..through were appended `years` ago (as if the bridge had run that long)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE audit_records SET recorded_at = now() - make_interval(years => %s) "
            "WHERE position <= %s",
            (years, through),
        )


def sql(database_url: str, statement: str, *args: object) -> list[tuple[object, ...]]:
    with psycopg.connect(database_url, autocommit=True) as conn:
        cursor = conn.execute(statement, args)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def bridge(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), env={"BRIDGE_STORE_KEY": None})
    return result.exit_code, result.output


def verify(database_url: str, *, key: str | None = STORE_KEY) -> tuple[int, str]:
    return bridge(
        "audit", "verify", "--database", database_url, *(["--store-key", key] if key else [])
    )


def prune(database_url: str) -> tuple[int, str]:
    return bridge("audit", "prune", "--database", database_url, "--store-key", STORE_KEY)


def test_prune_keeps_the_period_and_what_is_kept_verifies_from_the_checkpoint(
    database_url: str,
) -> None:
    append(database_url, 12)
    age(database_url, 5)
    code, out = prune(database_url)
    assert code == 0, out
    assert "pruned records 1..5" in out
    kept = [row[0] for row in sql(database_url, "SELECT position FROM audit_records ORDER BY 1")]
    assert kept == list(range(6, 13)), "only records older than the period go"
    code, out = verify(database_url)
    assert code == 0, out
    assert "from the retention checkpoint 5:" in out and "seal checked" in out
    assert "intact: 7 records, head 12:" in out

    append(database_url, 3)  # the chain goes on after the cut
    code, out = verify(database_url)
    assert code == 0 and "head 15:" in out, out
    code, out = prune(database_url)
    assert "nothing older than 1096 days" in out, "the default period is three years and a day"


def test_the_newest_record_is_never_pruned(database_url: str) -> None:
    append(database_url, 4)
    age(database_url, 4)
    assert "pruned records 1..3" in prune(database_url)[1]
    append(database_url, 1)
    code, out = verify(database_url)
    assert code == 0 and "intact: 2 records, head 5:" in out, out


def test_tampering_after_a_prune_is_detected(database_url: str) -> None:
    append(database_url, 10)
    age(database_url, 4)
    prune(database_url)
    sql(database_url, "DELETE FROM audit_records WHERE position = 5")  # the first one kept
    code, out = verify(database_url)
    assert code == 1 and "REMOVED: record 5 was removed" in out, out

    sql(
        database_url,
        "UPDATE audit_records SET body = replace(body, '\"s7\"', '\"s0\"') WHERE position = 8",
    )
    code, out = verify(database_url)
    assert code == 1 and "record 8 was altered" in out, out


def test_a_checkpoint_moved_forward_without_the_bridge_secret_is_detected(
    database_url: str,
) -> None:
    append(database_url, 10)
    age(database_url, 3)
    prune(database_url)
    # Someone with write access to the database removes records 4..7 before their time
    # and covers it with a checkpoint at 7 — right digest, but not the bridge's seal.
    (digest,) = sql(database_url, "SELECT digest FROM audit_records WHERE position = 7")[0]
    sql(database_url, "DELETE FROM audit_records WHERE position <= 7")
    forged = CheckpointSeal("not-the-bridge-secret-" + "y" * 32).seal(7, str(digest))
    sql(
        database_url,
        "INSERT INTO audit_checkpoints (position, digest, seal) VALUES (7, %s, %s)",
        digest,
        forged,
    )
    code, out = verify(database_url)
    assert code == 1, out
    assert "CHECKPOINT: the checkpoint at record 7 was not made by the bridge" in out
    code, out = verify(database_url, key=None)
    assert "seal NOT checked" in out, "without the secret the check says it was not made"

    sql(database_url, "DELETE FROM audit_checkpoints WHERE position = 7")
    code, out = verify(database_url)  # the real checkpoint (3) is the latest again
    assert code == 1 and "REMOVED: record 4 was removed" in out, out


def test_an_export_of_a_pruned_trail_verifies_from_the_cut_it_names(
    database_url: str, tmp_path: Path
) -> None:
    append(database_url, 8)
    age(database_url, 3)
    prune(database_url)
    exported = tmp_path / "trail.jsonl"
    result = CliRunner().invoke(
        cli, ["audit", "export", "--database", database_url, "--output", str(exported)]
    )
    assert result.exit_code == 0, result.output
    cut = re.search(r"checkpoint (\d+:[0-9a-f]{64})", result.output)
    assert cut is not None and cut.group(1).startswith("3:"), result.output
    assert "exported 5 records, intact" in result.output

    code, out = bridge("audit", "verify", "--file", str(exported), "--checkpoint", cut.group(1))
    assert code == 0 and "intact: 5 records, head 8:" in out, out
    code, out = bridge("audit", "verify", "--file", str(exported))
    assert code == 1 and "record 1 was removed" in out, "without the cut, records are missing"
