"""Sub-commands of `bridge`, one module per group (hydra's one-file-per-command CLI)."""

from __future__ import annotations

from typing import NoReturn

import typer
from typer._click import Context, HelpFormatter  # typer's own click, which TyperGroup uses
from typer.core import TyperGroup

from bridge.errors import BridgeError


class _Group(TyperGroup):
    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        """Each command's first sentence in full, wrapped: click cuts it at the column
        where the line ends ("Make a client secret (256 bits) and the...")."""
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=1000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


def group(help: str) -> typer.Typer:
    """A command group. Plain click output, not Rich: Rich reads `[default: …]` in a help
    text as markup and drops it, and boxes an error so its message breaks mid-word."""
    return typer.Typer(
        help=help,
        cls=_Group,
        no_args_is_help=True,
        rich_markup_mode=None,
        context_settings={"max_content_width": 100},
        add_completion=False,
    )


def command_logging(level: str) -> None:
    """A command's output is its own text: log only warnings and errors (or more, if
    BRIDGE_LOG_LEVEL asks for DEBUG), as plain lines on stderr rather than JSON."""
    from bridge.logs import configure_logging

    configure_logging("DEBUG" if level.upper() == "DEBUG" else "WARNING", "console")


def fail(error: BridgeError) -> NoReturn:
    """Report a configuration or key problem and exit with status 2."""
    typer.echo(f"error: {error}", err=True)
    raise typer.Exit(code=2)
