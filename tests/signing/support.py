"""Several bridge instances on one Redis and one key directory, served on loopback with
the mock iAM Smart, and the tools to drive their background key steps without sleeping.

Instances share one clock (one host's time); the background step of each instance is
parked (`ParkedTicker`) and run by the test (`step`) on the instance's own event loop,
exactly the coroutine the lifespan task runs every `keys_refresh_interval`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import redis
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from bridge.app import create_app
from bridge.clock import ManualClock
from bridge.settings import Settings
from bridge.signing.ring import KeyRing
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from mock_idps.iamsmart import create_app as create_iamsmart
from mock_idps.iamsmart.config import load_config as load_iamsmart_config
from tests.flows.conftest import ClosesClientOnShutdown
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.browser import Resident
from tests.support.dev_keys import development_keys
from tests.support.rp import RelyingParty
from tests.support.servers import bind_loopback, serving_all, url_of

REPO = Path(__file__).resolve().parents[2]
START = 1_800_000_000.0
ENCRYPTION_KEY = "test-key-encryption-key-0123456789abcdef"
T = TypeVar("T")


class ParkedTicker:
    """The background step never comes by itself: the test runs it with `step`."""

    async def wait(self, seconds: float) -> None:
        await asyncio.Event().wait()


def ring(app: Any) -> KeyRing:
    key_ring: KeyRing = app.state.core.key_ring
    return key_ring


def on_loop(app: Any, work: Callable[[KeyRing], Awaitable[T]]) -> T:
    """Run `work(ring)` on the instance's own event loop (its Redis connections live there)."""
    key_ring = ring(app)
    assert key_ring.loop is not None, "the instance's background task has not started"
    return asyncio.run_coroutine_threadsafe(work(key_ring), key_ring.loop).result(timeout=30)


def step(app: Any) -> Any:
    """One background step of one instance: re-read the key set, run the schedule."""
    return on_loop(app, lambda key_ring: key_ring.tick())


def instance_settings(
    keys_dir: Path, issuer: str, redis_url: str | None, **overrides: Any
) -> Settings:
    values: dict[str, Any] = {
        "env": "development",
        "issuer": issuer,
        "redis_url": redis_url,
        "keys_dir": keys_dir,
        "keys_encryption_key": ENCRYPTION_KEY,
        "clients_file": REPO / "tests/flows/clients.yaml",
        "upstreams_file": REPO / "config/upstreams.yaml",
        "claims_dir": REPO / "config/claims",
        "metrics_public": True,  # the key tests scrape each instance's own /metrics
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Instances:
    urls: list[str]
    apps: list[Any]
    clock: ManualClock
    iamsmart_clock: ManualClock
    keys_dir: Path
    env: dict[str, str]
    settings: Settings
    residents: list[Resident] = field(default_factory=list)

    @property
    def issuer(self) -> str:
        return self.urls[0]

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.iamsmart_clock.advance(seconds)

    def jwks(self, i: int) -> httpx.Response:
        return httpx.get(f"{self.urls[i]}/jwks.json", timeout=10)

    def sign_in(
        self, authorize_at: int, redeem_at: int, persona: str = "wong-wing-fung"
    ) -> dict[str, Any]:
        """A resident signs in starting at one instance; the code is redeemed at another
        (any instance serves any step)."""
        request = RelyingParty(self.urls[authorize_at]).authorization_request()
        if not self.residents:
            self.residents.append(Resident())
        resident = self.residents[0]
        redirect_uri = RelyingParty(self.issuer).redirect_uri
        page = choose(resident, at_iamsmart(resident, request.url), persona, stop_at=redirect_uri)
        if "/consent/" in page.url:  # unless the bridge remembers an earlier consent
            page = resident.submit(page, button=("decision", "allow"), stop_at=redirect_uri)
        code = location_query(page)["code"]
        response = RelyingParty(self.urls[redeem_at]).redeem(code, request.verifier)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens


@contextmanager
def bridge_instances(
    tmp_path: Path,
    redis_url: str | None,
    *,
    count: int = 2,
    start: float = START,
    prepare_keys: Callable[[Path, ManualClock], None] | None = None,
    **overrides: Any,
) -> Iterator[Instances]:
    sockets = [bind_loopback() for _ in range(count + 1)]
    urls = [url_of(s) for s in sockets[:count]]
    iamsmart_url = url_of(sockets[count])
    keys_dir = tmp_path / "keys"
    clock, iamsmart_clock = ManualClock(start), ManualClock(start)
    development_keys(keys_dir, clock)
    if prepare_keys is not None:
        prepare_keys(keys_dir, clock)
    env = {
        "BRIDGE_ISSUER": urls[0],
        "IAMSMART_PUBLIC_URL": iamsmart_url,
        "IAMSMART_API_URL": iamsmart_url,
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / KEK_FILE),
        "IAMSMART_TEST_CONTROLS": "true",
        "GUANGDONG_PUBLIC_URL": "https://gd.test",  # only named in clients.yaml
    }
    if redis_url is not None:
        redis.Redis.from_url(redis_url).flushdb()  # the tests' own server, never a shared one
    settings = instance_settings(keys_dir, urls[0], redis_url, **overrides)
    apps, served = [], []
    for sock in sockets[:count]:
        upstream_http = httpx.AsyncClient(timeout=10)
        app = create_app(
            settings, clock=clock, env=env, http=upstream_http, key_ticker=ParkedTicker()
        )
        apps.append(app)
        served.append((ClosesClientOnShutdown(app, upstream_http), sock))
    iamsmart = create_iamsmart(load_iamsmart_config(env=env), clock=iamsmart_clock.now)
    instances = Instances(urls, apps, clock, iamsmart_clock, keys_dir, env, settings)
    try:
        with serving_all((iamsmart, sockets[count]), *served):
            yield instances
    finally:
        for resident in instances.residents:
            resident.close()


class UnknownKid(AssertionError):
    pass


@dataclass
class CachingVerifier:
    """A relying party's token verifier: it fetches the JWKS from whichever instance the
    load balancer gives it, keeps it for the `max-age` it was sent with, and counts any
    token whose kid is not in its copy (a real library would refetch, at a cost)."""

    urls: list[str]
    clock: ManualClock
    http: httpx.Client
    fetches: int = 0
    _keys: KeySet | None = None
    _expires: float = 0.0

    def keys(self) -> KeySet:
        if self._keys is None or self.clock.now() >= self._expires:
            response = self.http.get(f"{self.urls[self.fetches % len(self.urls)]}/jwks.json")
            max_age = int(response.headers["cache-control"].split("max-age=")[1])
            self._keys = KeySet.import_key_set(response.json())
            self._expires = self.clock.now() + max_age
            self.fetches += 1
        return self._keys

    def verify(self, token: str) -> dict[str, Any]:
        keys = self.keys()
        header_kid = _kid(token)
        if header_kid not in {k.kid for k in keys}:
            raise UnknownKid(f"kid {header_kid} is not in the cached JWKS")
        try:
            return dict(jwt.decode(token, keys, algorithms=["ES256", "RS256", "Ed25519"]).claims)
        except JoseError as exc:
            raise AssertionError(f"token does not verify: {exc}") from None


def _kid(token: str) -> str:
    from joserfc.jws import extract_compact

    return str(extract_compact(token.encode()).protected["kid"])
