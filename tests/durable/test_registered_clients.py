"""Dynamically registered clients in PostgreSQL when BRIDGE_DATABASE_URL is set: the
same store contract as on Redis, no expiry, sealed rows, and a client registered over
HTTP that is still there — for the bridge and for `bridge clients list` — after Redis
loses everything."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from bridge.clock import ManualClock
from bridge.durable.database import Database
from bridge.durable.registered_clients import PostgresClientStore
from bridge.store.registered_clients import CLIENT_TTL
from tests.flows.conftest import REPO, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.flows.test_rfc7591_registration import METADATA, REGISTRAR, initial_token, register
from tests.store.test_registered_clients import NOW, SEALER, record
from tests.support.browser import Resident
from tests.support.rp import RelyingParty


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[tuple[PostgresClientStore, ManualClock]]:
    database, clock = Database(database_url), ManualClock(NOW)
    yield PostgresClientStore(database, SEALER, clock), clock
    await database.aclose()


async def test_create_get_list_replace_delete(
    store: tuple[PostgresClientStore, ManualClock],
) -> None:
    clients, _ = store
    assert await clients.create(record("dcr-a"))
    assert not await clients.create(record("dcr-a")), "a client_id is registered once"
    assert await clients.create(record("dcr-b"))
    assert [c.client_id for c in await clients.all()] == ["dcr-a", "dcr-b"]
    await clients.replace(record("dcr-a").model_copy(update={"registration": {"scope": "openid"}}))
    found = await clients.get("dcr-a")
    assert found is not None and found.registration == {"scope": "openid"}
    await clients.delete("dcr-a")
    assert await clients.get("dcr-a") is None
    assert [c.client_id for c in await clients.all()] == ["dcr-b"]


async def test_a_client_never_expires_and_its_row_is_sealed(
    store: tuple[PostgresClientStore, ManualClock], database_url: str
) -> None:
    clients, clock = store
    await clients.create(record("dcr-a"))
    clock.advance(CLIENT_TTL + 86400)  # past the key-value store's ten years, unread
    assert await clients.get("dcr-a") is not None
    with psycopg.connect(database_url) as conn:
        (blob,) = conn.execute("SELECT record FROM registered_clients").fetchone() or (b"",)
    assert b"redirect_uris" not in bytes(blob) and b"a.test" not in bytes(blob)


@pytest.fixture
def registering_on_pg(tmp_path: Path, redis_url: str, database_url: str) -> Iterator[Chain]:
    registrars = tmp_path / "registrars.json"
    registrars.write_text(json.dumps({"keys": [REGISTRAR.as_dict(private=False)]}))
    overrides = {
        "registration_enabled": True,
        "registration_registrar_jwks_file": registrars,
        "database_url": database_url,
    }
    with running_chain(tmp_path, redis_url, settings_overrides=overrides) as chain:
        yield chain


def listed(database_url: str) -> list[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "BRIDGE_ENV": "development",
        "BRIDGE_DATABASE_URL": database_url,
        "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
        "GUANGDONG_PUBLIC_URL": "https://gd.test",
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "clients", "list", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [row["client_id"] for row in json.loads(done.stdout) if row["kind"] == "registered"]


def test_a_registered_client_outlives_a_redis_that_lost_everything(
    registering_on_pg: Chain, redis_url: str, database_url: str
) -> None:
    chain = registering_on_pg
    body = register(chain, initial_token(chain, redis_url), METADATA).json()
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()  # a Redis restart without persistence
    assert body["client_id"] in listed(database_url)

    rp = RelyingParty(chain.bridge, body["client_id"], body["client_secret"])
    rp.redirect_uri = "https://registered.test/callback"
    request = rp.authorization_request()
    resident = Resident()
    try:
        page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
        code = location_query(consent(resident, page, "allow", stop_at=rp.redirect_uri))["code"]
    finally:
        resident.close()
    assert rp.redeem(code, request.verifier).status_code == 200
