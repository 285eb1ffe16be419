"""Sub-commands of `bridge`, one module per group (hydra's one-file-per-command CLI)."""

from __future__ import annotations

from typing import NoReturn

import typer

from bridge.errors import BridgeError


def fail(error: BridgeError) -> NoReturn:
    """Report a configuration or key problem and exit with status 2."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)
