"""`bridge audit …`: the hash-chained audit trail (bridge/audit/).

`verify` checks the live trail — in PostgreSQL when BRIDGE_DATABASE_URL is set, else in
Redis (BRIDGE_REDIS_URL) — or an export file, names
every altered, removed, inserted or reordered record, and exits 1 if it found any.
`export` writes the trail as JSON Lines, for archiving or for an auditor to verify.
Both print the head (`SEQ:SHA256`): note it somewhere else, and a later
`verify --expect-head` also catches records cut off the end or a rewritten chain.
`prune` deletes PostgreSQL records older than BRIDGE_AUDIT_RETENTION_DAYS and leaves a
sealed checkpoint at the cut; `verify` starts from the latest checkpoint and checks its
seal (with BRIDGE_STORE_KEY). Run `prune` daily (cron, a Kubernetes CronJob).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bridge.audit.records import STREAM_KEY, StoredRecord
from bridge.settings import DEFAULT_AUDIT_RETENTION_DAYS

if TYPE_CHECKING:
    from bridge.durable.retention import Checkpoint, CheckpointSeal
from bridge.commands import group

app = group("The hash-chained audit trail.")

RedisOption = Annotated[
    str | None,
    typer.Option("--redis", envvar="BRIDGE_REDIS_URL", help="Redis holding the trail."),
]
DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", envvar="BRIDGE_DATABASE_URL", help="PostgreSQL holding the trail."),
]
StoreKeyOption = Annotated[
    str | None,
    typer.Option(
        "--store-key",
        envvar="BRIDGE_STORE_KEY",
        show_default=False,
        help="The bridge's store secret: seals and checks retention checkpoints.",
    ),
]


def _head_option(value: str | None) -> str | None:
    """A mistyped head is a usage error, not evidence of tampering."""
    from bridge.audit.verify import is_head

    if value is not None and not is_head(value):
        raise typer.BadParameter(
            f"{value!r} is not a valid head: expected SEQ:SHA256 as `verify` and `export` "
            "print it (e.g. 42:3f9a…, 64 lowercase hex digits)"
        )
    return value


def _need_redis(redis_url: str | None) -> str:
    if not redis_url:
        typer.echo(
            "error: no store given (--database / BRIDGE_DATABASE_URL, or --redis / "
            "BRIDGE_REDIS_URL); the demo's memory trail "
            "lives only inside the demo process",
            err=True,
        )
        raise typer.Exit(2)
    return redis_url


async def _read_all(
    redis_url: str | None, key: str, database_url: str | None
) -> tuple[list[StoredRecord], Checkpoint | None]:
    """The kept records, and the latest retention checkpoint (PostgreSQL only)."""
    from bridge.audit.export import records_of
    from bridge.audit.log import AuditLog, RedisAuditLog

    if database_url:
        from bridge.durable.audit_log import PostgresAuditLog
        from bridge.durable.database import Database
        from bridge.durable.retention import latest_checkpoint

        database = Database(database_url)
        try:
            checkpoint = await latest_checkpoint(database)
            records = [record async for record in records_of(PostgresAuditLog(database))]
            return records, checkpoint
        finally:
            await database.aclose()
    log: AuditLog = RedisAuditLog.from_url(_need_redis(redis_url), key)
    try:
        return [record async for record in records_of(log)], None
    finally:
        await log.aclose()


def _start(cut: str | None) -> Checkpoint | None:
    from bridge.durable.retention import Checkpoint

    if cut is None:
        return None
    seq, _, digest = cut.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        typer.echo("error: --checkpoint must be SEQ:SHA256HEX", err=True)
        raise typer.Exit(2)
    return Checkpoint(int(seq), digest, seal="")


@app.command("verify")
def verify(
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an export file instead of Redis.")
    ] = None,
    redis_url: RedisOption = None,
    database_url: DatabaseOption = None,
    store_key: StoreKeyOption = None,
    key: Annotated[str, typer.Option(help="Stream key.")] = STREAM_KEY,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head noted earlier (SEQ:SHA256) that must be there.", callback=_head_option
        ),
    ] = None,
    checkpoint_cut: Annotated[
        str | None,
        typer.Option("--checkpoint", help="With --file: the export's retention cut (SEQ:SHA256)."),
    ] = None,
) -> None:
    """Check every record and every link of the chain; name what was tampered with."""
    from bridge.audit.export import read_export
    from bridge.durable.retention import CheckpointSeal, verify_after

    checkpoint = _start(checkpoint_cut)
    if file is not None:
        if not file.is_file():
            typer.echo(f"error: {file} is not a file", err=True)
            raise typer.Exit(2)
        records: list[StoredRecord] = list(read_export(file))
    else:
        records, checkpoint = asyncio.run(_read_all(redis_url, key, database_url))
    seal = CheckpointSeal(store_key) if store_key and file is None else None
    if checkpoint is not None:
        checked = "seal checked" if seal else "seal NOT checked: no BRIDGE_STORE_KEY"
        typer.echo(f"from the retention checkpoint {checkpoint.cut} ({checked})")
    report = verify_after(records, checkpoint, seal, expect_head=expect_head)
    for finding in report.findings:
        typer.echo(f"{finding.kind.upper()}: {finding.message}")
    if not report.ok:
        typer.echo(f"audit trail NOT intact: {len(report.findings)} problem(s) in {report.count}")
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {report.count} records, head {report.head}")


@app.command("prune")
def prune(
    database_url: DatabaseOption = None,
    store_key: StoreKeyOption = None,
    retention_days: Annotated[
        int,
        typer.Option(envvar="BRIDGE_AUDIT_RETENTION_DAYS", min=1, help="Days records are kept."),
    ] = DEFAULT_AUDIT_RETENTION_DAYS,
) -> None:
    """Delete PostgreSQL audit records older than the retention period, leaving a sealed
    checkpoint at the cut; then verify what is kept."""
    import time

    from bridge.durable.retention import CheckpointSeal

    if not database_url or not store_key:
        typer.echo("error: prune needs --database and --store-key (or their BRIDGE_*)", err=True)
        raise typer.Exit(2)
    seal = CheckpointSeal(store_key)
    cutoff = time.time() - retention_days * 86400
    checkpoint = asyncio.run(_prune(database_url, cutoff, seal))
    if checkpoint is None:
        typer.echo(f"nothing older than {retention_days} days")
    else:
        typer.echo(f"pruned records 1..{checkpoint.seq}; checkpoint {checkpoint.cut}")


async def _prune(database_url: str, cutoff: float, seal: CheckpointSeal) -> Checkpoint | None:
    from bridge.durable.database import Database
    from bridge.durable.retention import prune as cut

    database = Database(database_url)
    try:
        return await cut(database, older_than=cutoff, seal=seal)
    finally:
        await database.aclose()


@app.command("export")
def export(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write ('-': stdout).")],
    redis_url: RedisOption = None,
    database_url: DatabaseOption = None,
    key: Annotated[str, typer.Option(help="Stream key.")] = STREAM_KEY,
) -> None:
    """Write the trail as JSON Lines (one record per line, in chain order)."""
    from bridge.audit.export import export_line
    from bridge.audit.verify import verify as check

    records, checkpoint = asyncio.run(_read_all(redis_url, key, database_url))
    lines = "".join(export_line(record) + "\n" for record in records)
    if str(output) == "-":
        sys.stdout.write(lines)
    else:
        output.write_text(lines, encoding="utf-8")
    report = check(records, start=(checkpoint.seq, checkpoint.digest) if checkpoint else None)
    if checkpoint is not None:
        typer.echo(f"from the retention checkpoint {checkpoint.cut} (--checkpoint)", err=True)
    state = "intact" if report.ok else f"NOT intact ({len(report.findings)} problem(s))"
    typer.echo(f"exported {len(records)} records, {state}, head {report.head}", err=True)
