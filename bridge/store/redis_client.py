"""One Redis client for any of three topologies, with retries and timeouts set
explicitly, and the drivers' failures turned into one bridge error.

URLs (`BRIDGE_REDIS_URL`):

- `redis://[user:password@]host:port/db`, `rediss://…` — a single node;
- `redis+sentinel://[user:password@]host:port,host:port/service_name/db` — the primary
  of `service_name` as the sentinels name it (`rediss+sentinel://` for TLS to the data
  nodes); the password is the data nodes', `?sentinel_password=` the sentinels';
- `redis+cluster://[user:password@]host:port,host:port` — a Cluster from any of its
  nodes (`rediss+cluster://` for TLS); a Cluster has only database 0.

Why the retry budget is what it is: during a Sentinel failover the old primary refuses
connections or answers READONLY (redis-py turns that into `ConnectionError`) until the
sentinels have agreed it is down (`down-after-milliseconds`) and promoted a replica
(about a second more). Each retry asks the sentinels for the primary again, so a
request that meets a failover waits for it instead of failing. The defaults (10
retries, backoff 50 ms doubling to 1 s: about 7 s of waiting) cover a failover with
`down-after-milliseconds 5000`; a longer one surfaces as `StoreUnavailable` (503).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as aioredis
from redis import exceptions as rex
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel, SentinelManagedConnection
from redis.backoff import ExponentialWithJitterBackoff

from bridge.errors import StoreUnavailable
from bridge.store.redis_url import RedisOptions, parse_redis_url

AnyRedis = aioredis.Redis | RedisCluster

UNAVAILABLE: tuple[type[BaseException], ...] = (
    rex.ConnectionError,  # refused, reset, MasterNotFoundError, "now a slave", pool full
    rex.TimeoutError,
    rex.ReadOnlyError,  # a demoted primary, seen before the client noticed the failover
    rex.ClusterDownError,  # slots uncovered while a master is replaced (also MasterDownError)
    rex.TryAgainError,
    rex.RedisClusterException,  # no node of the Cluster answered
    OSError,
)
"""What redis-py raises when the store is not there, as opposed to a wrong command."""

P = ParamSpec("P")
T = TypeVar("T")


def _no_replicas(exc: BaseException) -> bool:
    """A primary configured with `min-replicas-to-write` that has no replica in sync
    refuses writes (the command did not run)."""
    return isinstance(exc, rex.ResponseError) and "NOREPLICAS" in str(exc)


def _driver_lost_its_connection(exc: BaseException) -> bool:
    """redis-py 8's Cluster pipeline can write on a connection that another command of the
    same batch has just torn down when a node dies mid-batch: `'NoneType' object has no
    attribute 'writelines'` from inside `redis.asyncio.connection` (seen in tests/ha with
    a killed Cluster master, as a 500). Only an AttributeError raised in redis-py's own
    code counts; one of ours is a bug and stays one."""
    if not isinstance(exc, AttributeError):
        return False
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_globals.get("__name__", "").startswith("redis.")


def unavailable_as_store_error(
    func: Callable[P, Coroutine[Any, Any, T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Re-raise the driver's connection and timeout errors as `StoreUnavailable`."""

    @functools.wraps(func)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await func(*args, **kwargs)
        except UNAVAILABLE as exc:
            raise StoreUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
        except rex.ResponseError as exc:
            if _no_replicas(exc):
                raise StoreUnavailable(f"redis: {exc}") from exc
            raise
        except AttributeError as exc:
            if _driver_lost_its_connection(exc):
                raise StoreUnavailable(f"redis: connection lost mid-command: {exc}") from exc
            raise

    return wrapper


class PrimaryConnection(SentinelManagedConnection):
    """A connection to the Sentinel-managed primary that also treats NOREPLICAS as the
    sign of a failover: after `SENTINEL FAILOVER` the old primary goes on answering as
    a primary until the sentinels demote it (up to 10 s: their INFO period), and with
    `min-replicas-to-write 1` it refuses every write meanwhile, having lost its replica.
    Disconnecting makes the retry ask the sentinels again, so writes go to the new
    primary at once instead of to the old one (whose writes would be lost, and where a
    used code could still be found unused)."""

    async def read_response(
        self,
        disable_decoding: bool = False,
        timeout: float | None = None,
        *,
        disconnect_on_error: Any = True,  # typed differently by redis-py's own classes
        push_request: bool | None = False,
    ) -> Any:
        try:
            return await super().read_response(
                disable_decoding=disable_decoding,
                timeout=timeout,
                disconnect_on_error=disconnect_on_error,
                push_request=push_request,
            )
        except rex.ResponseError as exc:
            if not _no_replicas(exc):
                raise
            await self.disconnect()
            raise rex.ConnectionError("the primary has no replica in sync") from exc


def _retry(options: RedisOptions) -> Retry:
    backoff = ExponentialWithJitterBackoff(cap=options.backoff_cap, base=options.backoff_base)
    return Retry(backoff, options.retries)


class Script:
    """A Lua script, every key it touches in KEYS[] (Cluster routes it by them).

    On a single node or Sentinel it runs by its SHA-1 (EVALSHA, loaded on first
    NOSCRIPT). On a Cluster it is sent whole (EVAL) every time: with EVALSHA, concurrent
    first calls on a node without the script (a fresh node, or a replica just promoted
    whose script cache is empty) all meet NOSCRIPT at once, and redis-py 8.1's async
    Cluster client then sends on a connection another task is closing. The scripts are
    a few hundred bytes; Redis caches them by digest either way."""

    def __init__(self, client: AnyRedis, text: str) -> None:
        self._client = client
        self._text = text
        self._registered = (
            None if isinstance(client, RedisCluster) else client.register_script(text)
        )

    async def __call__(self, *, keys: list[str], args: list[Any]) -> Any:
        if self._registered is not None:
            return await self._registered(keys=keys, args=args)
        return await self._client.eval(self._text, len(keys), *keys, *args)


class InitializedCluster(RedisCluster):
    """A Cluster client that learns the slot map once, before any command runs.

    redis-py 8.1's client initializes lazily inside each command; a burst of first
    commands on a fresh client (25 concurrent INCRs in tests/store) then fails with
    ConnectionErrors, or with an AttributeError on a connection another task is
    resetting, and a command retried after such an error may have run once already.
    Awaiting `initialize()` first, under one lock, avoids both (measured: 0 errors in 5
    bursts of 25, against 3-9 errors per burst without)."""

    _ready: asyncio.Lock | None = None

    async def execute_command(self, *args: Any, **kwargs: Any) -> Any:
        if self._initialize:
            if self._ready is None:
                self._ready = asyncio.Lock()
            async with self._ready:
                if self._initialize:
                    await self.initialize()
        return await super().execute_command(*args, **kwargs)


@dataclass(frozen=True, slots=True)
class RedisConnection:
    """The client the stores use, and for Sentinel the sentinels' own clients, which
    must be closed with it."""

    client: AnyRedis
    sentinels: tuple[aioredis.Redis, ...] = ()

    async def aclose(self) -> None:
        await self.client.aclose()
        for sentinel in self.sentinels:
            await sentinel.aclose()


def redis_client(url: str, options: RedisOptions | None = None) -> RedisConnection:
    """A client for the topology `url` names, built once and reused (a Sentinel's
    `master_for` makes a new pool on every call)."""
    o = options or RedisOptions()
    target = parse_redis_url(url)
    # Errors after which the command did not run, or may be re-sent (module docstring
    # of bridge.store.redis): a retry meets the failed-over primary.
    retry_on: list[type[Exception]] = [rex.ConnectionError, rex.TimeoutError, rex.ReadOnlyError]
    if target.topology == "single":
        single = aioredis.Redis.from_url(
            url,
            socket_timeout=o.socket_timeout,
            socket_connect_timeout=o.connect_timeout,
            retry=_retry(o),
            retry_on_error=retry_on,
            health_check_interval=30,
        )
        return RedisConnection(single)
    if target.topology == "cluster":
        cluster = InitializedCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
            username=target.username,
            password=target.password,
            ssl=target.tls,
            socket_timeout=o.socket_timeout,
            socket_connect_timeout=o.connect_timeout,
            retry=_retry(o),
            retry_on_error=retry_on,
        )
        return RedisConnection(cluster)
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.nodes),
        sentinel_kwargs={
            "socket_timeout": o.socket_timeout,
            "socket_connect_timeout": o.connect_timeout,
            "password": target.sentinel_password,
        },
        socket_timeout=o.socket_timeout,
        socket_connect_timeout=o.connect_timeout,
        retry=_retry(o),
        retry_on_error=retry_on,
    )
    client: aioredis.Redis = sentinel.master_for(
        target.service,
        redis_class=aioredis.Redis,
        db=target.db,
        username=target.username,
        password=target.password,
        ssl=target.tls,
        health_check_interval=30,
        connection_class=PrimaryConnection,
    )
    return RedisConnection(client, tuple(sentinel.sentinels))
