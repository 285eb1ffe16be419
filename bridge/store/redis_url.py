"""`BRIDGE_REDIS_URL` parsed, and the client's timeouts and retry budget: plain values,
apart from the driver (bridge/store/redis_client.py), so that reading the settings does
not import redis-py (every `bridge` command reads them)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True, slots=True)
class RedisOptions:
    connect_timeout: float = 2.0
    """Seconds to open a connection (a node that is down but not refusing)."""
    socket_timeout: float = 2.0
    """Seconds to wait for a reply; every bridge command is O(1) or a short script."""
    retries: int = 10
    backoff_base: float = 0.05
    backoff_cap: float = 1.0


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
