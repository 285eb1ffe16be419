"""Audit appends per second on PostgreSQL, from one or two bridge instances at once.

    python -m bench.audit_appends [--database postgresql://…] [--instances 1 2] [--seconds 5]

Each instance is a process with the bridge's own `HashChainAuditTrail` (group commit)
over `PostgresAuditLog`, 32 concurrent appenders; the table is emptied first, and the
chain is verified at the end (one unbroken chain whatever the instances). Without
`--database` a private PostgreSQL is started (`initdb`, as the tests do) and removed
after; it runs with fsync=off, so the figures are the lock's and the driver's, not a
disk's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from contextlib import ExitStack

import psycopg

from bench.private_pg import private_database
from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import records_of
from bridge.audit.verify import verify
from bridge.clock import SystemClock
from bridge.durable.audit_log import PostgresAuditLog
from bridge.durable.database import Database
from bridge.logs import configure_logging


async def _append_for(url: str, seconds: float) -> int:
    database = Database(url)
    trail = HashChainAuditTrail(PostgresAuditLog(database), SystemClock())
    count = 0
    deadline = time.monotonic() + seconds

    async def appender(n: int) -> None:
        nonlocal count
        while time.monotonic() < deadline:
            await trail.attributes_released(
                subject=f"s{n}", client_id="bench", claims=["name"], grant_id=f"g{count}"
            )
            count += 1

    await asyncio.gather(*(appender(n) for n in range(32)))
    await database.aclose()
    return count


def _instance(url: str, seconds: float, out: multiprocessing.Queue[int]) -> None:
    configure_logging("WARNING", "console")  # not one audit.* line per append
    out.put(asyncio.run(_append_for(url, seconds)))


async def _verified(url: str) -> bool:
    database = Database(url)
    report = verify([r async for r in records_of(PostgresAuditLog(database))])
    await database.aclose()
    return report.ok


def run(url: str, instances: int, seconds: float) -> float:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE audit_records")
    out: multiprocessing.Queue[int] = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=_instance, args=(url, seconds, out))
        for _ in range(instances)
    ]
    for proc in procs:
        proc.start()
    total = sum(out.get() for _ in procs)
    for proc in procs:
        proc.join()
    if not asyncio.run(_verified(url)):
        raise SystemExit("the chain is broken")
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--database")
    parser.add_argument("--instances", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    with ExitStack() as stack:
        url: str = args.database or private_database(stack)
        for n in args.instances:
            print(f"{n} instance(s): {run(url, n, args.seconds):,.0f} appends/s, chain intact")


if __name__ == "__main__":
    main()
