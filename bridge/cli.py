"""The `bridge` command. Each group lives in `bridge/commands/`."""

from __future__ import annotations

from typing import Annotated

import typer

from bridge import __version__
from bridge.commands import audit, claims, clients, config, db, group, keys, run

app = group("GBA identity bridge: iAM Smart ⇄ Guangdong, OpenID Connect.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bridge {__version__}")
        raise typer.Exit


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """GBA identity bridge: iAM Smart ⇄ Guangdong, OpenID Connect."""


app.command()(run.demo)
app.command()(run.serve)
app.add_typer(clients.app, name="clients")
app.add_typer(config.app, name="config")
app.add_typer(keys.app, name="keys")
app.add_typer(claims.app, name="claims")
app.add_typer(audit.app, name="audit")
app.add_typer(db.app, name="db")


def main() -> None:
    app()
