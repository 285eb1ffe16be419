"""`bridge keys …`: signing keys and the iAM Smart KEK."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Signing keys and the iAM Smart KEK.", no_args_is_help=True)


@app.command("init-dev")
def init_dev(
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
