"""The Redis backend (redis.asyncio): one node, Sentinel or Cluster behind one URL.

Each operation is a single Redis command, so atomicity is Redis's own:
`SET NX PX`, `GETDEL` (Redis >= 6.2) and `SET XX GET PX`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import redis.asyncio as aioredis

from bridge.store.backend import Op, Swap


def _ms(ttl: float) -> int:
    if ttl <= 0:
        raise ValueError("every stored value needs a positive TTL")
    return max(1, int(ttl * 1000))


class RedisBackend:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    @classmethod
    def from_url(cls, url: str, **options: Any) -> RedisBackend:
        options.setdefault("socket_timeout", 5)
        options.setdefault("socket_connect_timeout", 5)
        options.setdefault("health_check_interval", 30)
        return cls(aioredis.Redis.from_url(url, **options))

    @property
    def client(self) -> aioredis.Redis:
        return self._redis

    async def put(self, key: str, value: bytes, ttl: float) -> None:
        await self._redis.set(key, value, px=_ms(ttl))

    async def put_new(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(await self._redis.set(key, value, px=_ms(ttl), nx=True))

    async def get(self, key: str) -> bytes | None:
        return cast(bytes | None, await self._redis.get(key))

    async def take(self, key: str) -> bytes | None:
        return cast(bytes | None, await self._redis.getdel(key))

    async def swap(self, key: str, value: bytes, ttl: float) -> bytes | None:
        old = await self._redis.set(key, value, px=_ms(ttl), xx=True, get=True)
        return cast(bytes | None, old)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*keys)

    async def batch(self, ops: Sequence[Op]) -> list[bytes | None]:
        if not ops:
            return []
        async with self._redis.pipeline(transaction=False) as pipe:
            for op in ops:
                if isinstance(op, Swap):
                    pipe.set(op.key, op.value, px=_ms(op.ttl), xx=True, get=True)
                else:
                    pipe.get(op.key)
            results = await pipe.execute()
        return [cast(bytes | None, result) for result in results]

    async def ping(self) -> bool:
        try:
            return bool(await self._redis.ping())
        except Exception:  # readiness reports any failure as "not ready"
            return False

    async def aclose(self) -> None:
        await self._redis.aclose()
