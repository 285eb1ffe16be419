"""Fetching someone else's JWK Set (`bridge.tokens.key_sources`) over real HTTP: cached
for its TTL, fetched again once for an unknown kid but not within the cool-down, a size
cap, and a failed refresh keeps the last good set."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from bridge.clock import ManualClock
from bridge.tokens.jose_rules import JwtRejected
from bridge.tokens.key_sources import KeysUnavailable, RemoteJwks, key_for, parse_jwks
from tests.flows.exchange_support import JwksServer, jwks_of, new_key
from tests.support.servers import serving


@pytest.fixture(scope="module")
def server() -> Iterator[JwksServer]:
    jwks = JwksServer()
    with serving(jwks) as running:
        jwks.url = running.url
        yield jwks


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


def header(kid: str) -> dict[str, str]:
    return {"alg": "ES256", "kid": kid}


async def test_key_set_is_cached_for_its_ttl(server: JwksServer, http: httpx.AsyncClient) -> None:
    key = new_key()
    server.documents["/ttl.json"] = jwks_of(key)
    clock = ManualClock(1000.0)
    source = RemoteJwks(f"{server.url}/ttl.json", http, clock, ttl=300)
    await key_for(source, header(key.kid))
    await key_for(source, header(key.kid))
    assert server.hits["/ttl.json"] == 1
    clock.advance(300)
    await key_for(source, header(key.kid))
    assert server.hits["/ttl.json"] == 2


async def test_unknown_kid_refetches_once_outside_the_cool_down(
    server: JwksServer, http: httpx.AsyncClient
) -> None:
    old, new = new_key(), new_key()
    server.documents["/rotate.json"] = jwks_of(old)
    clock = ManualClock(1000.0)
    source = RemoteJwks(f"{server.url}/rotate.json", http, clock, ttl=300, cooldown=10)
    await key_for(source, header(old.kid))
    server.documents["/rotate.json"] = jwks_of(old, new)
    with pytest.raises(JwtRejected):
        await key_for(source, header(new.kid))
    assert server.hits["/rotate.json"] == 1, "inside the cool-down: no refetch"
    clock.advance(10)
    assert (await key_for(source, header(new.kid))).kid == new.kid
    assert server.hits["/rotate.json"] == 2


async def test_oversized_key_set_is_refused(server: JwksServer, http: httpx.AsyncClient) -> None:
    server.documents["/huge.json"] = {"keys": [], "padding": "x" * 70_000}
    source = RemoteJwks(f"{server.url}/huge.json", http, ManualClock(), ttl=300)
    with pytest.raises(KeysUnavailable, match="larger than"):
        await source.keys()


async def test_missing_key_set_is_unavailable_and_rejects_tokens(
    server: JwksServer, http: httpx.AsyncClient
) -> None:
    source = RemoteJwks(f"{server.url}/absent.json", http, ManualClock(), ttl=300)
    with pytest.raises(JwtRejected, match="unavailable"):
        await key_for(source, header("any"))


async def test_failed_refresh_keeps_the_last_good_set(
    server: JwksServer, http: httpx.AsyncClient
) -> None:
    key = new_key()
    server.documents["/flaky.json"] = jwks_of(key)
    clock = ManualClock(1000.0)
    source = RemoteJwks(f"{server.url}/flaky.json", http, clock, ttl=300, cooldown=0)
    await key_for(source, header(key.kid))
    del server.documents["/flaky.json"]
    with pytest.raises(JwtRejected, match="unknown key"):
        await key_for(source, header("rotated-away"))
    assert (await key_for(source, header(key.kid))).kid == key.kid


def test_private_and_symmetric_keys_are_not_accepted_as_published_keys() -> None:
    private = new_key().as_dict(private=True)
    symmetric = {"kty": "oct", "k": "c2VjcmV0"}
    keys, problems = parse_jwks({"keys": [private, symmetric, new_key().as_dict(private=False)]})
    assert len(keys) == 1
    assert any("private key" in p for p in problems)
    assert any("asymmetric" in p for p in problems)
