"""The `bridge` command: demo, serve, and operator tools."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from bridge.errors import BridgeError, ConfigError
from bridge.logs import configure_logging

app = typer.Typer(
    help="GBA identity bridge: iAM Smart ⇄ Guangdong, OpenID Connect.",
    no_args_is_help=True,
    add_completion=False,
)
clients_app = typer.Typer(help="Downstream clients.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration files.", no_args_is_help=True)
keys_app = typer.Typer(help="Signing keys and the iAM Smart KEK.", no_args_is_help=True)
app.add_typer(clients_app, name="clients")
app.add_typer(config_app, name="config")
app.add_typer(keys_app, name="keys")


def _fail(error: BridgeError) -> None:
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="Interface for all three servers.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Bridge port.")] = 8000,
    iamsmart_port: Annotated[int, typer.Option(help="Mock iAM Smart port.")] = 8001,
    guangdong_port: Annotated[int, typer.Option(help="Mock Guangdong platform port.")] = 8002,
    redis: Annotated[
        str | None,
        typer.Option(envvar="BRIDGE_REDIS_URL", help="Use this Redis instead of memory."),
    ] = None,
    keys_dir: Annotated[Path, typer.Option(help="Where development keys go.")] = Path("keys"),
) -> None:
    """Run the bridge with both mock identity providers; sign in from a browser."""
    from bridge.demo import DemoPorts, run_demo

    configure_logging("INFO", "console")
    ports = DemoPorts(host=host, bridge=port, iamsmart=iamsmart_port, guangdong=guangdong_port)
    try:
        run_demo(ports, redis_url=redis, keys_dir=keys_dir)
    except BridgeError as error:
        _fail(error)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",  # noqa: S104
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the bridge alone, configured from BRIDGE_* variables and config/ (production)."""
    from bridge.asgi import app_from_environment

    try:
        app_from_environment()  # fail fast, with every configuration problem, before forking
    except BridgeError as error:
        _fail(error)
    uvicorn.run(
        "bridge.asgi:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,
        proxy_headers=True,
    )


@config_app.command("check")
def config_check() -> None:
    """Validate every configuration file and key, reporting all problems at once."""
    from bridge.app import create_app
    from bridge.settings import Settings

    try:
        create_app(Settings())
    except BridgeError as error:
        _fail(error)
    typer.echo("configuration OK")


@clients_app.command("new-secret")
def new_secret() -> None:
    """Make a client secret (256 bits) and the digest to put in clients.yaml."""
    from bridge.provider.client_auth import secret_digest

    secret = secrets.token_urlsafe(32)
    typer.echo(f"client_secret:         {secret}")
    typer.echo(f"client_secret_sha256:  {secret_digest(secret)}")


@keys_app.command("init-dev")
def keys_init_dev(
    keys_dir: Annotated[Path, typer.Option(help="Key directory.")] = Path("keys"),
) -> None:
    """Create marked development keys where none exist (demo and docker compose only)."""
    from bridge.clock import SystemClock
    from bridge.signing.storage import ensure_development_keys

    created = ensure_development_keys(keys_dir, SystemClock())
    for item in created:
        typer.echo(f"created development {item} in {keys_dir}")
    if not created:
        typer.echo(f"{keys_dir} already has keys; nothing created")


def main() -> None:
    try:
        app()
    except ConfigError as error:  # raised outside a command's own handling
        typer.echo(f"error: {error}", err=True)
        sys.exit(2)
