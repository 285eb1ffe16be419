"""Single-use inputs for the load generator, written into the bridge's store exactly as
a completed sign-in would leave them (through the bridge's own store API), so the
measured requests do nothing but their own work."""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from pathlib import Path
from urllib.parse import urlencode

import redis.asyncio as aioredis

from bridge.clock import SystemClock
from bridge.model import AuthorizationCode, Grant
from bridge.provider.pkce import s256
from bridge.store.record_base import grant_id_for_code
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer

CLIENT_ID = "bench-portal"
CLIENT_SECRET = "bench-portal-secret"  # noqa: S105 - the benchmark client's known secret
REDIRECT_URI = "https://bench.test/callback"
VERIFIER = "bench-verifier-" + "v" * 40
BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
RS256_CLIENT_ID = "bench-portal-rs256"
"""The same portal registered without an algorithm: RS256 ID tokens."""
RS256_BASIC = "Basic " + base64.b64encode(f"{RS256_CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
CLAIMS = {
    "name": "黃詠峯",
    "name#zh-Hans": "黄咏峰",
    "sex": "2",
    "birthdate": "1990-01-01",
    "phone_number": "+85291234567",
}


async def _seed_codes(redis_url: str, store_key: str, count: int, client_id: str) -> list[str]:
    client = aioredis.Redis.from_url(redis_url, max_connections=64)
    stores = Stores.build(RedisBackend(client), Sealer(store_key), SystemClock())
    now = time.time()
    challenge = s256(VERIFIER)
    codes = [secrets.token_urlsafe(32) for _ in range(count)]

    async def one(code: str) -> None:
        grant_id = grant_id_for_code(code)
        await stores.grants.put(
            Grant(
                grant_id=grant_id,
                client_id=client_id,
                subject="bench-subject",
                scopes=("openid", "profile"),
                claims=CLAIMS,
                acr="L2",
                auth_time=int(now),
                expires_at=now + 900,
            )
        )
        await stores.codes.put(
            code,
            AuthorizationCode(
                client_id=client_id,
                redirect_uri=REDIRECT_URI,
                code_challenge=challenge,
                code_challenge_method="S256",
                grant_id=grant_id,
                subject="bench-subject",
                scopes=("openid", "profile"),
                nonce="n",
                acr="L2",
                auth_time=int(now),
                expires_at=now + 60,
            ),
        )

    for start in range(0, count, 32):  # two commands each: 64 connections in flight
        await asyncio.gather(*(one(code) for code in codes[start : start + 32]))
    await client.aclose()
    return codes


def code_bodies(
    redis_url: str, store_key: str, count: int, path: Path, client_id: str = CLIENT_ID
) -> Path:
    """Seed `count` codes (they live 60 s) and write one token request body per line."""
    codes = asyncio.run(_seed_codes(redis_url, store_key, count, client_id))
    lines = (
        urlencode(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": REDIRECT_URI,
                "code_verifier": VERIFIER,
            }
        )
        for code in codes
    )
    path.write_text("\n".join(lines) + "\n")
    return path


async def _seed_refresh_tokens(redis_url: str, store_key: str, count: int) -> list[str]:
    client = aioredis.Redis.from_url(redis_url, max_connections=64)
    stores = Stores.build(RedisBackend(client), Sealer(store_key), SystemClock())
    now = time.time()
    grant_id = "bench-refresh-" + secrets.token_hex(8)
    await stores.grants.put(
        Grant(
            grant_id=grant_id,
            client_id=CLIENT_ID,
            subject="bench-subject",
            scopes=("openid", "profile", "offline_access"),
            claims=CLAIMS,
            acr="L2",
            auth_time=int(now),
            expires_at=now + 3600,
        )
    )
    tokens: list[str] = []

    async def one() -> None:
        token, _ = await stores.refresh_tokens.issue(
            grant_id=grant_id,
            client_id=CLIENT_ID,
            scopes=("openid", "profile", "offline_access"),
            family_expires_at=now + 3600,
            ttl=3600,
        )
        tokens.append(token)

    for _ in range(0, count, 64):
        await asyncio.gather(*(one() for _ in range(64)))
    await client.aclose()
    return tokens


def refresh_bodies(redis_url: str, store_key: str, count: int, path: Path) -> Path:
    """Seed refresh tokens of one family and write one refresh request body per line."""
    tokens = asyncio.run(_seed_refresh_tokens(redis_url, store_key, count))
    lines = (urlencode({"grant_type": "refresh_token", "refresh_token": t}) for t in tokens)
    path.write_text("\n".join(lines) + "\n")
    return path
