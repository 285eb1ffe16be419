"""`bridge audit …`: the hash-chained audit trail (bridge/audit/).

`verify` checks the live trail — in PostgreSQL when BRIDGE_DATABASE_URL is set, else in
Redis (BRIDGE_REDIS_URL) — or an export file, names
every altered, removed, inserted or reordered record, and exits 1 if it found any.
`export` writes the trail as JSON Lines, for archiving or for an auditor to verify.
Both print the head (`SEQ:SHA256`): note it somewhere else, and a later
`verify --expect-head` also catches records cut off the end or a rewritten chain.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from bridge.audit.log import STREAM_KEY
from bridge.audit.records import StoredRecord
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
) -> list[StoredRecord]:
    from bridge.audit.export import records_of
    from bridge.audit.log import AuditLog, RedisAuditLog

    if database_url:
        from bridge.durable.audit_log import PostgresAuditLog
        from bridge.durable.database import Database

        database = Database(database_url)
        try:
            return [record async for record in records_of(PostgresAuditLog(database))]
        finally:
            await database.aclose()
    log: AuditLog = RedisAuditLog.from_url(_need_redis(redis_url), key)
    try:
        return [record async for record in records_of(log)]
    finally:
        await log.aclose()


@app.command("verify")
def verify(
    file: Annotated[
        Path | None, typer.Option("--file", help="Verify an export file instead of Redis.")
    ] = None,
    redis_url: RedisOption = None,
    database_url: DatabaseOption = None,
    key: Annotated[str, typer.Option(help="Stream key.")] = STREAM_KEY,
    expect_head: Annotated[
        str | None,
        typer.Option(
            help="A head noted earlier (SEQ:SHA256) that must be there.", callback=_head_option
        ),
    ] = None,
) -> None:
    """Check every record and every link of the chain; name what was tampered with."""
    from bridge.audit.export import read_export
    from bridge.audit.verify import verify as check

    if file is not None:
        if not file.is_file():
            typer.echo(f"error: {file} is not a file", err=True)
            raise typer.Exit(2)
        records: list[StoredRecord] = list(read_export(file))
    else:
        records = asyncio.run(_read_all(redis_url, key, database_url))
    report = check(records, expect_head=expect_head)
    for finding in report.findings:
        typer.echo(f"{finding.kind.upper()}: {finding.message}")
    if not report.ok:
        typer.echo(f"audit trail NOT intact: {len(report.findings)} problem(s) in {report.count}")
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {report.count} records, head {report.head}")


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

    records = asyncio.run(_read_all(redis_url, key, database_url))
    lines = "".join(export_line(record) + "\n" for record in records)
    if str(output) == "-":
        sys.stdout.write(lines)
    else:
        output.write_text(lines, encoding="utf-8")
    report = check(records)
    state = "intact" if report.ok else f"NOT intact ({len(report.findings)} problem(s))"
    typer.echo(f"exported {len(records)} records, {state}, head {report.head}", err=True)
