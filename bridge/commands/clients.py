"""`bridge clients …`: downstream clients — secrets for the configuration file, initial
access tokens for Dynamic Client Registration (RFC 7591 §3), and the list of both kinds.

Registered clients live in PostgreSQL when BRIDGE_DATABASE_URL is set, else in the
store the bridge shares (BRIDGE_REDIS_URL), like initial access tokens; the memory
store lives inside one bridge process, so a command cannot reach it."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from bridge.commands import command_logging, fail, group
from bridge.errors import BridgeError, ConfigError

if TYPE_CHECKING:
    from bridge.provider.clients import Client
    from bridge.settings import Settings
    from bridge.store.backend import KeyValueBackend

app = group("Downstream clients.")
T = TypeVar("T")


@app.command("new-secret")
def new_secret() -> None:
    """Make a client secret (256 bits) and the digest to put in clients.yaml."""
    from bridge.provider.client_auth import secret_digest

    secret = secrets.token_urlsafe(32)
    typer.echo(f"client_secret:         {secret}")
    typer.echo(f"client_secret_sha256:  {secret_digest(secret)}")


def _settings() -> Settings:
    from bridge.settings import settings_from_environment

    try:
        settings = settings_from_environment()
    except BridgeError as error:
        fail(error)
    command_logging(settings.log_level)
    return settings


def _with_store(settings: Settings, work: Callable[[KeyValueBackend], Awaitable[T]]) -> T:
    from bridge.store.redis import RedisBackend

    if settings.redis_url is None:
        fail(ConfigError("clients", ["BRIDGE_REDIS_URL is needed: registered clients live there"]))

    async def run() -> T:
        backend = RedisBackend.from_url(settings.redis_url or "")
        try:
            return await work(backend)
        finally:
            await backend.aclose()

    try:
        return asyncio.run(run())
    except (BridgeError, OSError) as error:
        fail(BridgeError(f"cannot reach the store: {error}"))


@app.command("issue-registration-token")
def issue_registration_token(
    ttl: Annotated[int, typer.Option(min=60, help="Seconds the token is good for.")] = 86400,
    uses: Annotated[int, typer.Option(min=1, help="How many registrations it allows.")] = 1,
) -> None:
    """An initial access token for /register (RFC 7591 §3): give it to the one who will
    register a client. It is printed once and stored only as a digest."""
    from bridge.clock import SystemClock
    from bridge.store.registered_clients import KeyValueRegistrationTokens
    from bridge.store.sealing import Sealer

    settings = _settings()
    if not settings.registration_enabled:
        typer.echo("warning: BRIDGE_REGISTRATION_ENABLED is off: /register is not served", err=True)
    token = secrets.token_urlsafe(32)
    sealer = Sealer(settings.store_key.get_secret_value())

    async def issue(backend: KeyValueBackend) -> None:
        tokens = KeyValueRegistrationTokens(backend, sealer, SystemClock())
        await tokens.issue(token, uses=uses, ttl=ttl)

    _with_store(settings, issue)
    typer.echo(token)


def _grant_types(client: Client) -> list[str]:
    """The grants the token endpoint accepts from this client."""
    grants = ["authorization_code"]
    if client.offline_access:
        grants.append("refresh_token")
    if client.token_exchange is not None:
        grants.append("token-exchange")
    return grants


def _row(client: Client, kind: str) -> dict[str, Any]:
    """What an operator checks about a client; never its secret or its digest."""
    return {
        "client_id": client.client_id,
        "kind": kind,
        "name": client.name.en,
        "upstreams": list(client.upstreams),
        "downstream": client.downstream,
        "grant_types": _grant_types(client),
    }


_COLUMNS = ("CLIENT_ID", "KIND", "NAME", "UPSTREAMS", "DOWNSTREAM", "GRANT_TYPES")


def _table(rows: list[dict[str, Any]]) -> str:
    cells = [
        [
            row["client_id"],
            row["kind"],
            row["name"],
            ",".join(row["upstreams"]),
            row["downstream"],
            ",".join(row["grant_types"]),
        ]
        for row in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(_COLUMNS, *cells, strict=False)]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [list(_COLUMNS), *cells]
    ]
    return "\n".join(lines)


@app.command("list")
def list_clients(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Every client, configured and registered (RFC 7591): id, name, upstreams, downstream
    and grant types; secrets are never shown."""
    from bridge.clock import SystemClock
    from bridge.provider.clients import Client, load_clients
    from bridge.store.registered_clients import ClientStore, KeyValueClientStore
    from bridge.store.sealing import Sealer

    settings = _settings()
    configured, problems = load_clients(settings.clients_file, os.environ)
    if problems:
        fail(ConfigError(str(settings.clients_file), problems))
    rows = [_row(c, "configured") for c in configured]
    if settings.redis_url is not None or settings.database_url is not None:
        sealer = Sealer(settings.store_key.get_secret_value())

        async def registered(backend: KeyValueBackend | None) -> list[dict[str, Any]]:
            store: ClientStore
            if settings.database_url:
                from bridge.durable.database import Database
                from bridge.durable.registered_clients import PostgresClientStore

                database = Database(settings.database_url)
                store = PostgresClientStore(database, sealer, SystemClock())
                try:
                    found = await store.all()
                finally:
                    await database.aclose()
            else:
                assert backend is not None  # noqa: S101 - _with_store gave one
                found = await KeyValueClientStore(backend, sealer, SystemClock()).all()
            return [_row(Client.model_validate(r.metadata), "registered") for r in found]

        rows += (
            asyncio.run(registered(None))
            if settings.database_url
            else _with_store(settings, registered)
        )
    elif not as_json:
        typer.echo(
            "(registered clients are listed with BRIDGE_DATABASE_URL or BRIDGE_REDIS_URL set)",
            err=True,
        )
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False))
        return
    typer.echo(_table(rows))
