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

import functools
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import redis.asyncio as aioredis
from redis import exceptions as rex
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import ExponentialWithJitterBackoff

from bridge.errors import StoreUnavailable

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

    return wrapper


@dataclass(frozen=True, slots=True)
class RedisOptions:
    connect_timeout: float = 2.0
    """Seconds to open a connection (a node that is down but not refusing)."""
    socket_timeout: float = 2.0
    """Seconds to wait for a reply; every bridge command is O(1) or a short script."""
    retries: int = 10
    backoff_base: float = 0.05
    backoff_cap: float = 1.0

    def retry(self) -> Retry:
        backoff = ExponentialWithJitterBackoff(cap=self.backoff_cap, base=self.backoff_base)
        return Retry(backoff, self.retries)


@dataclass(frozen=True, slots=True)
class RedisTarget:
    topology: str
    """single, sentinel or cluster."""
    nodes: tuple[tuple[str, int], ...]
    service: str = ""
    db: int = 0
    tls: bool = False
    username: str | None = None
    password: str | None = None
    sentinel_password: str | None = None
    url: str = ""


def _nodes(netloc: str) -> tuple[tuple[str, int], ...]:
    hosts = netloc.rpartition("@")[2]
    nodes = []
    for part in hosts.split(","):
        host, _, port = part.strip().rpartition(":")
        if not host or not port.isdigit():
            raise ValueError(f"expected host:port, got {part!r}")
        nodes.append((host.strip("[]"), int(port)))
    return tuple(nodes)


def parse_redis_url(url: str) -> RedisTarget:
    """The topology a `BRIDGE_REDIS_URL` names; ValueError says what is wrong with it."""
    scheme, _, rest = url.partition("://")
    base, _, topology = scheme.partition("+")
    if base not in ("redis", "rediss") or topology not in ("", "sentinel", "cluster"):
        raise ValueError(
            "expected redis://, rediss://, redis+sentinel:// or redis+cluster:// "
            f"(got {scheme or 'no scheme'}://)"
        )
    tls = base == "rediss"
    if not topology:
        return RedisTarget("single", (), tls=tls, url=url)
    parts = urlsplit("x://" + rest)
    credentials = parts.netloc.rpartition("@")[0]
    user, _, password = credentials.partition(":") if credentials else ("", "", "")
    query = parse_qs(parts.query)
    path = [p for p in parts.path.split("/") if p]
    common = {
        "nodes": _nodes(parts.netloc),
        "tls": tls,
        "username": unquote(user) or None,
        "password": unquote(password) or None,
        "url": url,
    }
    if topology == "cluster":
        if path and path != ["0"]:
            raise ValueError("a Redis Cluster has only database 0")
        return RedisTarget("cluster", **common)  # type: ignore[arg-type]
    if not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ValueError("expected redis+sentinel://host:port,host:port/service_name/db")
    return RedisTarget(
        "sentinel",
        service=path[0],
        db=int(path[1]) if len(path) == 2 else 0,
        sentinel_password=query.get("sentinel_password", [None])[0],
        **common,  # type: ignore[arg-type]
    )


def redis_client(url: str, options: RedisOptions | None = None) -> AnyRedis:
    """A client for the topology `url` names, built once and reused (a Sentinel's
    `master_for` makes a new pool on every call)."""
    o = options or RedisOptions()
    target = parse_redis_url(url)
    # Errors after which the command did not run, or may be re-sent (module docstring
    # of bridge.store.redis): a retry meets the failed-over primary.
    retry_on: list[type[Exception]] = [rex.ConnectionError, rex.TimeoutError, rex.ReadOnlyError]
    if target.topology == "single":
        return aioredis.Redis.from_url(
            url,
            socket_timeout=o.socket_timeout,
            socket_connect_timeout=o.connect_timeout,
            retry=o.retry(),
            retry_on_error=retry_on,
            health_check_interval=30,
        )
    if target.topology == "cluster":
        return RedisCluster(
            startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
            username=target.username,
            password=target.password,
            ssl=target.tls,
            socket_timeout=o.socket_timeout,
            socket_connect_timeout=o.connect_timeout,
            retry=o.retry(),
            retry_on_error=retry_on,
        )
    sentinel = Sentinel(  # type: ignore[no-untyped-call]
        list(target.nodes),
        sentinel_kwargs={
            "socket_timeout": o.socket_timeout,
            "socket_connect_timeout": o.connect_timeout,
            "password": target.sentinel_password,
        },
        socket_timeout=o.socket_timeout,
        socket_connect_timeout=o.connect_timeout,
        retry=o.retry(),
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
    )
    return client
