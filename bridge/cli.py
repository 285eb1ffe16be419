"""The `bridge` command. Each group lives in `bridge/commands/`."""

from __future__ import annotations

import typer

from bridge.commands import audit, claims, clients, config, db, keys, run

app = typer.Typer(
    help="GBA identity bridge: iAM Smart ⇄ Guangdong, OpenID Connect.",
    no_args_is_help=True,
    add_completion=False,
)
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
