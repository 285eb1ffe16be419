"""The PostgreSQL connection pool (psycopg 3, `psycopg_pool`), its errors, and the
schema check at start-up.

Why psycopg 3: typed (the codebase is mypy --strict; asyncpg ships no types), its own
pool with health checks and reconnection, and the same driver for the synchronous
start-up check and the CLI. Every failure to reach the database becomes
`StoreUnavailable` here, so callers answer 503 and never see a driver's exception.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from bridge.durable.migrations_runner import pending_migrations
from bridge.errors import ConfigError, StoreUnavailable

P = ParamSpec("P")
T = TypeVar("T")


def unavailable_as_store_error(
    func: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except (psycopg.OperationalError, PoolTimeout, OSError) as exc:
            raise StoreUnavailable(f"postgresql: {type(exc).__name__}: {exc}") from exc

    return wrapper


class Database:
    """One pool per process, opened on first use (the composition root is synchronous;
    the pool belongs to the event loop that serves requests)."""

    def __init__(self, url: str, *, max_size: int = 10, timeout: float = 5.0) -> None:
        self.url = url
        self._pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=max_size,
            timeout=timeout,  # waiting for a free connection, then PoolTimeout → 503
            open=False,
            # A connection is checked as it is lent out (one round trip on a pooled
            # connection): after a PostgreSQL restart or failover the pool's stale
            # connections are replaced instead of failing the request they are lent to.
            check=AsyncConnectionPool.check_connection,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
        )
        self._opened = False
        self._opening = asyncio.Lock()

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[psycopg.AsyncConnection[Any]]:
        if not self._opened:
            async with self._opening:
                if not self._opened:
                    await self._pool.open(wait=False)
                    self._opened = True
        async with self._pool.connection() as conn:
            yield conn

    async def ping(self) -> bool:
        try:
            async with asyncio.timeout(1.0), self.connection() as conn:
                await conn.execute("SELECT 1")
            return True
        except Exception:  # readiness reports any failure as "not ready"
            return False

    async def aclose(self) -> None:
        if self._opened:
            await self._pool.close()


def check_schema(url: str) -> None:
    """Refuse to start on a schema older than this version's migrations."""
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            pending = pending_migrations(conn)
    except psycopg.OperationalError as exc:
        raise ConfigError("database", [f"BRIDGE_DATABASE_URL: cannot connect: {exc}"]) from None
    if pending:
        names = ", ".join(pending)
        raise ConfigError(
            "database",
            [f"the database schema is behind (not applied: {names}); run `bridge db upgrade`"],
        )
