"""The whole chain on loopback: mock Guangdong platform → bridge → mock iAM Smart,
each a real HTTP server, the bridge on the private redis-server (or the memory store).

Each system has its own clock, so a test can age one of them (an iAM Smart code, a
bridge code) without touching the others.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from bridge.app import create_app
from bridge.clock import ManualClock
from bridge.settings import Settings
from bridge.store.memory import MemoryBackend
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from mock_idps.guangdong import app as guangdong_app
from mock_idps.guangdong.config import load_config as load_guangdong_config
from mock_idps.iamsmart import create_app as create_iamsmart
from mock_idps.iamsmart.config import load_config as load_iamsmart_config
from tests.support.browser import Resident
from tests.support.client_tls import TRUSTED
from tests.support.dev_keys import development_keys
from tests.support.servers import Tls, bind_loopback, serving_all, url_of

REPO = Path(__file__).resolve().parents[2]
START = 1_800_000_000.0


@dataclass
class Chain:
    bridge: str
    iamsmart: str
    guangdong: str
    bridge_clock: ManualClock
    iamsmart_clock: ManualClock
    guangdong_clock: ManualClock
    bridge_app: Any
    iamsmart_app: Any
    guangdong_app: Any
    keys_dir: Path
    upstream_requests: list[httpx.Request] = field(default_factory=list)

    @property
    def iamsmart_state(self) -> Any:
        return self.iamsmart_app.state.iamsmart

    @property
    def guangdong_state(self) -> Any:
        return self.guangdong_app.state.guangdong


class ClosesClientOnShutdown:
    """Closes an HTTP client inside the server's own event loop when the server stops
    (its connections belong to that loop)."""

    def __init__(self, app: Any, client: httpx.AsyncClient) -> None:
        self.app = app
        self.client = client

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def receive_then_close() -> Any:
            message = await receive()
            if message["type"] == "lifespan.shutdown":
                await self.client.aclose()
            return message

        await self.app(scope, receive_then_close, send)


@contextmanager
def running_chain(
    tmp_path: Path,
    redis_url: str | None,
    *,
    env_overrides: dict[str, str] | None = None,
    bridge_env: dict[str, str] | None = None,
    settings_overrides: dict[str, Any] | None = None,
    key_ticker: Any = None,
    bridge_tls: Tls | None = None,
    restart_of: Chain | None = None,
) -> Iterator[Chain]:
    """`bridge_tls`: the bridge speaks https (its issuer is an https URL).
    `restart_of`: a chain that has stopped; the bridge comes back on its port, with its
    keys and its store (Redis is not emptied)."""
    sockets = [bind_loopback() for _ in range(3)]
    if restart_of is not None:
        sockets[0].close()
        sockets[0] = bind_loopback(int(restart_of.bridge.rsplit(":", 1)[1]))
    bridge_url, iamsmart_url, guangdong_url = (url_of(s) for s in sockets)
    if bridge_tls is not None:
        bridge_url = bridge_url.replace("http://", "https://")
    keys_dir = tmp_path / "keys"
    clocks = [ManualClock(START) for _ in range(3)]
    development_keys(keys_dir, clocks[0])
    env = {
        "BRIDGE_ISSUER": bridge_url,
        "IAMSMART_PUBLIC_URL": iamsmart_url,
        "IAMSMART_API_URL": iamsmart_url,
        "GUANGDONG_PUBLIC_URL": guangdong_url,
        "GUANGDONG_API_URL": guangdong_url,
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / KEK_FILE),
        "IAMSMART_TEST_CONTROLS": "true",
        "GUANGDONG_TEST_CONTROLS": "true",
        **(env_overrides or {}),
    }
    if redis_url is not None and redis_url.startswith("redis://") and restart_of is None:
        # the tests' own server, never a shared one (topologies are emptied by their fixture)
        with redis.Redis.from_url(redis_url) as client:
            client.flushdb()
    recorded: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        recorded.append(request)

    upstream_http = httpx.AsyncClient(timeout=10, event_hooks={"request": [record]}, verify=TRUSTED)
    files: dict[str, Any] = {
        "clients_file": REPO / "tests/flows/clients.yaml",
        "upstreams_file": REPO / "config/upstreams.yaml",
        "claims_dir": REPO / "config/claims",
        "token_exchange_file": REPO / "config/token_exchange.yaml",
    }
    # Rate limits off: these tests fail on purpose, many times per client and address;
    # tests/hardening/test_rate_limits turns them on.
    unlimited = {
        "rate_limit_client_auth_failures": 0,
        "rate_limit_redemption_failures": 0,
        "rate_limit_sign_ins": 0,
    }
    settings = Settings(
        env="development",
        issuer=bridge_url,
        redis_url=redis_url,
        keys_dir=keys_dir,
        **{**unlimited, **files, **(settings_overrides or {})},
    )
    try:
        bridge = create_app(
            settings,
            clock=clocks[0],
            env={**env, **(bridge_env or {})},
            http=upstream_http,
            backend=None if redis_url else MemoryBackend(clocks[0]),
            key_ticker=key_ticker,
        )
    except BaseException:  # refused at start-up (tests of that): leave no socket open
        for sock in sockets:
            sock.close()
        raise
    iamsmart = create_iamsmart(load_iamsmart_config(env=env), clock=clocks[1].now)
    guangdong = guangdong_app.create_app(load_guangdong_config(env=env), clock=clocks[2].now)
    with serving_all(
        (iamsmart, sockets[1]),
        (guangdong, sockets[2]),
        (ClosesClientOnShutdown(bridge, upstream_http), sockets[0]),
        tls={2: bridge_tls} if bridge_tls is not None else None,
    ):
        yield Chain(
            bridge=bridge_url,
            iamsmart=iamsmart_url,
            guangdong=guangdong_url,
            bridge_clock=clocks[0],
            iamsmart_clock=clocks[1],
            guangdong_clock=clocks[2],
            bridge_app=bridge,
            iamsmart_app=iamsmart,
            guangdong_app=guangdong,
            keys_dir=keys_dir,
            upstream_requests=recorded,
        )


@pytest.fixture
def chain(tmp_path: Path, redis_url: str) -> Iterator[Chain]:
    with running_chain(tmp_path, redis_url) as running:
        yield running


@pytest.fixture(scope="module")
def module_chain(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Chain]:
    """One chain for a whole module, for modules whose tests neither age a clock nor
    depend on what another test left in a store. A module opts in by defining
    `chain` as this (every test still gets a fresh browser)."""
    with running_chain(tmp_path_factory.mktemp("chain"), redis_url) as running:
        yield running


@pytest.fixture
def resident() -> Iterator[Resident]:
    """A scripted browser, closed after the test (a module may define its own: one with
    another Accept-Language)."""
    person = Resident()
    yield person
    person.close()
