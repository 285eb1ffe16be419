"""psycopg 3 against asyncpg for the bridge's two hot PostgreSQL operations.

    python -m bench.pg_drivers [--database postgresql://…] [--seconds 5] [--concurrency 16]

- **audit append**: one transaction taking the append advisory lock, reading the head
  and inserting one row — what `PostgresAuditLog.append_many` does for a group;
- **consent lookup**: one `SELECT` of a sealed ledger by resident, what every sign-in
  does (`PostgresRememberedConsents.get`).

Each driver gets a pool of 10 connections and `--concurrency` tasks in one process; a
third line measures the bridge's own `Database` (psycopg with the connection check on
lending). Without `--database` a private PostgreSQL is started (`initdb`, as the tests
do) and removed after. asyncpg is only needed here (`pip install asyncpg`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack

import asyncpg
import psycopg
from psycopg_pool import AsyncConnectionPool

from bench.private_pg import private_database
from bridge.durable.audit_log import APPEND_LOCK
from bridge.durable.database import Database

RESIDENTS = 1000
Op = Callable[[int], Awaitable[None]]

APPEND_HEAD = "SELECT position, digest FROM audit_records ORDER BY position DESC LIMIT 1"
LOOKUP = "SELECT ledger FROM remembered_consents WHERE resident = {}"


def _reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE audit_records, remembered_consents")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO remembered_consents (resident, ledger, expires_at) VALUES (%s, %s, 0)",
                [(f"resident-{n}", os.urandom(400)) for n in range(RESIDENTS)],
            )


async def _rate(op: Op, seconds: float, concurrency: int) -> float:
    count = 0
    deadline = time.monotonic() + seconds

    async def worker(n: int) -> None:
        nonlocal count
        while time.monotonic() < deadline:
            await op(n * 7919 + count)
            count += 1

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return count / seconds


def _psycopg_ops(pool: AsyncConnectionPool) -> dict[str, Op]:
    async def append(_: int) -> None:
        async with pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
            head = await (await conn.execute(APPEND_HEAD)).fetchone()
            position = (head[0] if head else 0) + 1
            await conn.execute(
                "INSERT INTO audit_records (position, body, digest) VALUES (%s, %s, %s)",
                (position, '{"event":"bench"}', "0" * 64),
            )

    async def lookup(n: int) -> None:
        async with pool.connection() as conn:
            cursor = await conn.execute(LOOKUP.format("%s"), (f"resident-{n % RESIDENTS}",))
            await cursor.fetchone()

    return {"audit append": append, "consent lookup": lookup}


def _asyncpg_ops(pool: asyncpg.Pool) -> dict[str, Op]:
    async def append(_: int) -> None:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", APPEND_LOCK)
            head = await conn.fetchrow(APPEND_HEAD)
            position = (head[0] if head else 0) + 1
            await conn.execute(
                "INSERT INTO audit_records (position, body, digest) VALUES ($1, $2, $3)",
                position,
                '{"event":"bench"}',
                "0" * 64,
            )

    async def lookup(n: int) -> None:
        async with pool.acquire() as conn:
            await conn.fetchrow(LOOKUP.format("$1"), f"resident-{n % RESIDENTS}")

    return {"audit append": append, "consent lookup": lookup}


class _BridgePool:
    """The bridge's `Database` behind the psycopg pool's `connection()` shape."""

    def __init__(self, database: Database) -> None:
        self.connection = database.connection


async def measure(url: str, seconds: float, concurrency: int) -> list[tuple[str, str, float]]:
    rows = []
    psy = AsyncConnectionPool(
        url, min_size=10, max_size=10, open=False, kwargs={"autocommit": True}
    )
    await psy.open(wait=True)
    apg = await asyncpg.create_pool(url, min_size=10, max_size=10)
    bridge_db = Database(url, max_size=10)
    drivers: list[tuple[str, dict[str, Op]]] = [
        ("psycopg 3.3 (pool)", _psycopg_ops(psy)),
        (f"asyncpg {asyncpg.__version__} (pool)", _asyncpg_ops(apg)),
        ("bridge Database (psycopg, checked)", _psycopg_ops(_BridgePool(bridge_db))),  # type: ignore[arg-type]
    ]
    try:
        for operation in ("audit append", "consent lookup"):
            for name, ops in drivers:
                _reset(url)
                await _rate(ops[operation], 1.0, concurrency)  # warm up: prepare, fill pools
                rows.append((operation, name, await _rate(ops[operation], seconds, concurrency)))
    finally:
        await psy.close()
        await apg.close()
        await bridge_db.aclose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    with ExitStack() as stack:
        url: str = args.database or private_database(stack)
        rows = asyncio.run(measure(url, args.seconds, args.concurrency))
    print(f"{'operation':<16} {'driver':<38} {'per second':>10}")
    for operation, name, rate in rows:
        print(f"{operation:<16} {name:<38} {rate:>10,.0f}")


if __name__ == "__main__":
    main()
