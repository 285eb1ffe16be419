"""One approval per user code, under real concurrency: many phones answer the same code
at once on one event loop against the real redis-server, so their reads interleave
before any write lands. Exactly one claim may win."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bridge.browser import Browser, Redirect
from bridge.clock import ManualClock
from bridge.core import Core, build_core
from bridge.errors import OAuthError
from bridge.settings import Settings
from bridge.store.redis import RedisBackend
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from tests.support.dev_keys import development_keys

REPO = Path(__file__).resolve().parents[2]
ISSUER = "http://127.0.0.1:1"  # never contacted: the test calls the core directly
PHONES = 12


def _core(tmp_path: Path, redis_url: str, clock: ManualClock) -> Core:
    keys = tmp_path / "keys"
    development_keys(keys, clock)
    env = {
        "BRIDGE_ISSUER": ISSUER,
        "IAMSMART_PUBLIC_URL": ISSUER,
        "IAMSMART_API_URL": ISSUER,
        "GUANGDONG_PUBLIC_URL": ISSUER,
        "GUANGDONG_API_URL": ISSUER,
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys / KEK_FILE),
    }
    settings = Settings(
        env="development",
        issuer=ISSUER,
        keys_dir=keys,
        clients_file=REPO / "tests/flows/clients.yaml",
        upstreams_file=REPO / "config/upstreams.yaml",
        claims_dir=REPO / "config/claims",
        token_exchange_file=REPO / "config/token_exchange.yaml",
    )
    return build_core(settings, clock=clock, env=env, backend=RedisBackend.from_url(redis_url))


async def _race(core: Core) -> list[Redirect | OAuthError]:
    kiosk = core.clients.get("test-kiosk")
    assert kiosk is not None
    started = await core.oauth.device.authorize(kiosk, {"scope": "openid"})
    devices = core.signin.devices
    # Browser ids as the bridge issues them (HMAC-checked): a made-up one is replaced.
    issued = core.signin.flows.browser_ids
    phones = [Browser(issued.issue(), "phone") for _ in range(PHONES)]
    questions = [
        await devices.question(started["user_code"], p, f"10.0.0.{i}") for i, p in enumerate(phones)
    ]

    # One warm connection per phone: else the first phone runs ahead on the only open
    # connection while the others are still connecting, and nothing interleaves.
    await asyncio.gather(*(core.backend.get(f"warm-{i}") for i in range(PHONES)))

    async def answer(i: int) -> Redirect | OAuthError:
        form = {
            "user_code": questions[i].user_code,
            "csrf_token": questions[i].csrf_token,
            "decision": "approve",
        }
        try:
            result = await devices.answer(form, phones[i], f"10.0.0.{i}", "en")
        except OAuthError as refused:
            return refused
        assert isinstance(result, Redirect)
        return result

    return await asyncio.gather(*(answer(i) for i in range(PHONES)))


def test_phones_racing_on_one_code_exactly_one_claims_it(tmp_path: Path, redis_url: str) -> None:
    async def run() -> list[Redirect | OAuthError]:
        core = _core(tmp_path, redis_url, ManualClock(1_800_000_000.0))
        try:
            return await _race(core)
        finally:
            await core.aclose()

    results = asyncio.run(run())
    won = [r for r in results if isinstance(r, Redirect)]
    lost = [r for r in results if isinstance(r, OAuthError)]
    assert len(won) == 1, results
    assert {e.message_key for e in lost} == {"error_device_used"}
