"""`bridge keys …`: signing keys (list, rotate, generate, prune, export-jwks) and the
development keys of the demo (init-dev).

Configured like the bridge itself (BRIDGE_KEYS_DIR, BRIDGE_KEYS_ENCRYPTION_KEY[_FILE],
BRIDGE_REDIS_URL, the BRIDGE_KEYS_* timings), so a command and the served instances
share one key set and one rotation lock. Changes go through the same code as the
automatic schedule (`bridge/signing/manager.py`).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bridge.commands import command_logging, fail, group
from bridge.errors import BridgeError, ConfigError

if TYPE_CHECKING:  # imported when a command runs: `bridge --help` stays quick
    from bridge.settings import Settings
    from bridge.signing.keys import Algorithm
    from bridge.signing.manager import KeyManager

app = group("Signing keys and the iAM Smart KEK.")

T = TypeVar("T")

KeysDir = Annotated[
    Path | None,
    typer.Option(help="Key directory [default: BRIDGE_KEYS_DIR, else keys]."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _settings(keys_dir: Path | None) -> Settings:
    from bridge.settings import settings_from_environment

    try:
        settings = (
            settings_from_environment(keys_dir=keys_dir)
            if keys_dir
            else settings_from_environment()
        )
    except BridgeError as error:
        fail(error)
    command_logging(settings.log_level)
    return settings


def _change(
    keys_dir: Path | None, action: Callable[[KeyManager], Awaitable[T]]
) -> tuple[T, Settings]:
    """Run `action(manager)` with the bridge's own lock: Redis when configured."""
    from bridge.clock import SystemClock
    from bridge.signing.encryption import encryption_key_from_settings
    from bridge.signing.locks import KeySetLock
    from bridge.signing.manager import KeyManager
    from bridge.signing.policy import RotationPolicy
    from bridge.signing.storage import KeyFiles
    from bridge.store.redis import RedisBackend

    settings = _settings(keys_dir)
    encryption, problems = encryption_key_from_settings(settings)
    policy = RotationPolicy.from_settings(settings)
    if problems:
        fail(ConfigError("keys", problems))
    files = KeyFiles(settings.keys_dir, encryption)

    async def run() -> T:
        backend = RedisBackend.from_url(settings.redis_url) if settings.redis_url else None
        try:
            lock = KeySetLock(backend, files.lock_path)
            manager = KeyManager(
                files, policy, lock, SystemClock(), development_allowed=settings.development
            )
            return await action(manager)
        finally:
            if backend is not None:
                await backend.aclose()

    try:
        return asyncio.run(run()), settings
    except BridgeError as error:
        fail(error)


def _show(settings: Settings, as_json: bool, message: str = "") -> None:
    from bridge.clock import SystemClock
    from bridge.signing.listing import describe, table
    from bridge.signing.policy import RotationPolicy
    from bridge.signing.storage import KeyFiles

    try:
        index = KeyFiles(settings.keys_dir).require_index()
    except BridgeError as error:
        fail(error)
    described = describe(index, RotationPolicy.from_settings(settings), SystemClock().now())
    if as_json:
        typer.echo(json.dumps({"message": message, **described} if message else described))
        return
    if message:
        typer.echo(message + "\n")
    typer.echo(table(described))


def _algorithm(alg: str | None) -> Algorithm | None:
    from bridge.signing.keys import ALGORITHMS

    for known in ALGORITHMS:
        if alg == known:
            return known
    if alg is not None:
        fail(ConfigError("--alg", [f"{alg!r} is not one of {', '.join(ALGORITHMS)}"]))
    return None


@app.command("list")
def list_keys(keys_dir: KeysDir = None, as_json: AsJson = False) -> None:
    """Show each key: state, kid, algorithm, created, when it activates, retires or goes."""
    _show(_settings(keys_dir), as_json)


@app.command("rotate")
def rotate(
    keys_dir: KeysDir = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Sign with the next key even if it was published less than the JWKS "
            "max-age ago (a compromised key): verifiers' cached JWKS will miss it.",
        ),
    ] = False,
    alg: Annotated[
        str | None,
        typer.Option(help="Rotate only this algorithm's keys [default: every algorithm]."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """next → active, active → retired, and a fresh next key, in each algorithm's lane.
    Safe to run on several machines at once: exactly one rotation happens."""
    lane = _algorithm(alg)
    outcome, settings = _change(keys_dir, lambda manager: manager.rotate(force=force, alg=lane))
    _show(settings, as_json, outcome.message)


@app.command("generate")
def generate(
    keys_dir: KeysDir = None,
    alg: Annotated[
        str | None,
        typer.Option(help="ES256, RS256, EdDSA or Ed25519 [default: BRIDGE_KEYS_ALGORITHM]."),
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Publish a new next key of an algorithm (replacing its next key, which never
    signed); for an algorithm without keys, start its lane with an active key; in an
    empty key directory, create the first key set (every enabled algorithm)."""
    lane = _algorithm(alg)
    outcome, settings = _change(keys_dir, lambda manager: manager.generate(lane))
    _show(settings, as_json, outcome.message)


@app.command("prune")
def prune(keys_dir: KeysDir = None, as_json: AsJson = False) -> None:
    """Remove retired keys whose every token has expired (the schedule does it too)."""
    outcome, settings = _change(keys_dir, lambda manager: manager.prune())
    _show(settings, as_json, outcome.message)


@app.command("export-jwks")
def export_jwks(
    keys_dir: KeysDir = None,
    output: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Print the public key set the bridge serves at /jwks.json (needs no secret)."""
    from bridge.signing.storage import KeyFiles, public_jwks

    settings = _settings(keys_dir)
    files = KeyFiles(settings.keys_dir)
    try:
        jwks = public_jwks(files.require_index(), files, settings.keys_algorithm)
        document = json.dumps(jwks, indent=2) + "\n"
    except BridgeError as error:
        fail(error)
    if output is None:
        typer.echo(document, nl=False)
    else:
        output.write_text(document)


@app.command("init-dev")
def init_dev(
    keys_dir: Annotated[Path, typer.Option(help="Key directory.")] = Path("keys"),
) -> None:
    """Create marked development keys where none exist (demo and docker compose only)."""
    from bridge.clock import SystemClock
    from bridge.development_keys import ensure_development_keys

    created = ensure_development_keys(keys_dir, SystemClock())
    for item in created:
        typer.echo(f"created development {item} in {keys_dir}")
    if not created:
        typer.echo(f"{keys_dir} already has keys; nothing created")
