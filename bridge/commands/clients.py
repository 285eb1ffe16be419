"""`bridge clients …`: downstream clients."""

from __future__ import annotations

import secrets

import typer

app = typer.Typer(help="Downstream clients.", no_args_is_help=True)


@app.command("new-secret")
def new_secret() -> None:
    """Make a client secret (256 bits) and the digest to put in clients.yaml."""
    from bridge.provider.client_auth import secret_digest

    secret = secrets.token_urlsafe(32)
    typer.echo(f"client_secret:         {secret}")
    typer.echo(f"client_secret_sha256:  {secret_digest(secret)}")
