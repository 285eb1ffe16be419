"""`bridge claims …`: the claim-mapping rules (config/claims/, one file per direction)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from bridge.commands import fail, group
from bridge.errors import BridgeError

if TYPE_CHECKING:
    from bridge.settings import Settings

app = group("Claim-mapping rules.")

ClaimsFile = Annotated[
    Path | None, typer.Option(help="One rule file, instead of every file in --claims-dir.")
]
ClaimsDir = Annotated[
    Path | None, typer.Option(help="Rule files (default: BRIDGE_CLAIMS_DIR or config/claims).")
]
ClientsFile = Annotated[
    Path | None, typer.Option(help="Clients file (default: BRIDGE_CLIENTS_FILE or config/).")
]
Direction = Annotated[
    str | None,
    typer.Option(help="Only the rules of UPSTREAM-to-DOWNSTREAM (e.g. guangdong-to-hongkong)."),
]


def _settings() -> Settings:
    from bridge.settings import settings_from_environment

    try:
        return settings_from_environment()
    except BridgeError as error:
        fail(error)


def _rule_paths(claims_file: Path | None, claims_dir: Path | None) -> list[Path]:
    if claims_file is not None:
        return [claims_file]
    directory = claims_dir or _settings().claims_dir
    return sorted(directory.glob("*.yaml"))


def _clients_path(clients_file: Path | None) -> Path:
    return clients_file or _settings().clients_file


@app.command("check")
def check(
    claims_file: ClaimsFile = None,
    claims_dir: ClaimsDir = None,
    direction: Direction = None,
    clients_file: ClientsFile = None,
) -> None:
    """Validate the rule files (every direction, or one), reporting every problem with
    where it is."""
    import os

    from bridge.claims import ClaimMapper, load_rules
    from bridge.errors import ConfigError
    from bridge.provider.clients import load_clients

    registered, _ = load_clients(_clients_path(clients_file), os.environ)
    known = {client.client_id for client in registered}
    paths = _rule_paths(claims_file, claims_dir)
    if not paths:
        typer.echo("error: no rule files (*.yaml) found", err=True)
        raise typer.Exit(2)
    problems: list[str] = []
    checked = 0
    for path in paths:
        try:
            rules = load_rules(path)
        except ConfigError as error:
            problems += [f"{error.source}: {problem}" for problem in error.problems]
            continue
        if direction is not None and f"{rules.upstream}-to-{rules.downstream}" != direction:
            continue
        checked += 1
        for client_id in sorted(set(rules.clients) - known):
            typer.echo(f"note: {path}: rules for {client_id}, which is not a registered client")
        mapper = ClaimMapper(rules)
        typer.echo(
            f"{path}: OK — {rules.upstream} → {rules.downstream}, {len(mapper.claims)} "
            f"claims, {len(rules.scopes)} scopes, per-client rules for "
            f"{len(rules.clients)} client(s)"
        )
    if problems:
        fail(ConfigError("claim rules", problems))
    if direction is not None and checked == 0:
        typer.echo(f"error: no rule file maps {direction}", err=True)
        raise typer.Exit(2)


@app.command("preview")
def preview(
    persona: Annotated[str, typer.Option(help="Persona id (see docs/personas.md).")],
    client: Annotated[str, typer.Option(help="Client id.")],
    upstream: Annotated[
        str | None,
        typer.Option(help="The upstream the persona signs in with (default: the client's first)."),
    ] = None,
    personas_file: Annotated[
        Path | None, typer.Option(help="Persona data (default: the upstream's mock fixtures).")
    ] = None,
    claims_file: ClaimsFile = None,
    claims_dir: ClaimsDir = None,
    clients_file: ClientsFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the golden-file JSON.")] = False,
) -> None:
    """Print what CLIENT would receive when PERSONA signs in, at most (every scope it
    is allowed), and which profile fields the bridge would ask the upstream for."""
    import os

    from bridge.claims import ClaimMapper, load_rules
    from bridge.claims.preview import PERSONA_FILES, load_personas
    from bridge.claims.preview import preview as make_preview
    from bridge.errors import ConfigError
    from bridge.provider.clients import load_clients

    clients_path = _clients_path(clients_file)
    try:
        registry, problems = load_clients(clients_path, os.environ)
        if problems:
            raise ConfigError(str(clients_path), problems)
    except BridgeError as error:
        fail(error)
        return
    registered = registry.get(client)
    if registered is None:
        known = ", ".join(c.client_id for c in registry)
        typer.echo(f"error: no client {client!r} in {clients_path} (known: {known})", err=True)
        raise typer.Exit(2)
    kind = upstream or registered.upstreams[0]
    try:
        rules = [load_rules(p) for p in _rule_paths(claims_file, claims_dir)]
        matching = [r for r in rules if (r.upstream, r.downstream) == (kind, registered.downstream)]
        if not matching:
            raise ConfigError("claim rules", [f"no rules map {kind} to {registered.downstream}"])
        mapper = ClaimMapper(matching[0])
        identities = load_personas(personas_file or PERSONA_FILES[kind], kind)
    except (BridgeError, KeyError) as error:
        fail(error if isinstance(error, BridgeError) else ConfigError(kind, ["no persona data"]))
        return
    if persona not in identities:
        known = ", ".join(identities)
        typer.echo(f"error: no persona {persona!r} (known: {known})", err=True)
        raise typer.Exit(2)
    result = make_preview(
        mapper,
        identities[persona],
        client_id=client,
        allowed_claims=registered.allowed_claims,
        allowed_scopes=registered.allowed_scopes,
    )
    if as_json:
        typer.echo(json.dumps(result.as_golden(), ensure_ascii=False, indent=2, sort_keys=True))
        return
    typer.echo(f"{client} ({registered.name.en}) receives for {persona}:")
    width = max((len(name) for name in [*result.userinfo, *result.id_token]), default=0)
    for name, value in result.userinfo.items():
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        typer.echo(f"  {name:<{width}}  {shown}")
    typer.echo("in every ID token:")
    for name, value in result.id_token.items():
        typer.echo(f"  {name:<{width}}  {value}")
    if result.not_produced:
        typer.echo("allowed, but not produced for this persona: " + ", ".join(result.not_produced))
    asked = ", ".join(result.profile_fields) or "(no profile)"
    typer.echo(f"asks {result.upstream_name} for: {asked}")
