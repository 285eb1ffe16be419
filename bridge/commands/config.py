"""`bridge config …`: configuration files."""

from __future__ import annotations

import typer

from bridge.commands import fail, group
from bridge.errors import BridgeError

app = group("Configuration files.")


@app.command("check")
def check() -> None:
    """Validate every configuration file and key, reporting all problems at once."""
    from bridge.app import create_app
    from bridge.settings import settings_from_environment

    try:
        create_app(settings_from_environment())
    except BridgeError as error:
        fail(error)
    typer.echo("configuration OK")
