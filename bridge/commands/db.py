"""`bridge db …`: the PostgreSQL schema of the durable records (bridge/durable/).

`upgrade` applies every migration this version ships that the database lacks; the
bridge refuses to start on a schema that is behind and says to run it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bridge.commands import group

app = group("The PostgreSQL schema of durable records.")

DatabaseOption = Annotated[
    str,
    typer.Option("--database", envvar="BRIDGE_DATABASE_URL", help="postgresql:// URL."),
]


@app.command("upgrade")
def upgrade(database_url: DatabaseOption) -> None:
    """Bring the schema up to this version (safe to run from several hosts at once)."""
    import psycopg

    from bridge.durable.migrations_runner import upgrade as apply

    try:
        applied = apply(database_url)
    except psycopg.Error as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"applied: {', '.join(applied)}" if applied else "schema is up to date")
