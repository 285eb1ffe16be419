"""`bridge claims …`: the claim-mapping rules (config/claims/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from bridge.commands import fail
from bridge.errors import BridgeError

app = typer.Typer(help="Claim-mapping rules.", no_args_is_help=True)

ClaimsFile = Annotated[
    Path | None, typer.Option(help="Rule file (default: BRIDGE_CLAIMS_FILE or config/).")
]
ClientsFile = Annotated[
    Path | None, typer.Option(help="Clients file (default: BRIDGE_CLIENTS_FILE or config/).")
]


def _paths(claims_file: Path | None, clients_file: Path | None) -> tuple[Path, Path]:
    from bridge.settings import Settings

    settings = Settings()
    return claims_file or settings.claims_file, clients_file or settings.clients_file


@app.command("check")
def check(claims_file: ClaimsFile = None, clients_file: ClientsFile = None) -> None:
    """Validate a rule file, reporting every problem with where it is."""
    import os

    from bridge.claims import ClaimMapper, load_rules
    from bridge.provider.clients import load_clients

    rules_path, clients_path = _paths(claims_file, clients_file)
    try:
        rules = load_rules(rules_path)
    except BridgeError as error:
        fail(error)
        return
    registered, _ = load_clients(clients_path, os.environ)
    known = {client.client_id for client in registered}
    for client_id in sorted(set(rules.clients) - known):
        typer.echo(f"note: rules for {client_id}, which {clients_path} does not register")
    mapper = ClaimMapper(rules)
    typer.echo(
        f"{rules_path}: OK — {len(mapper.claims)} claims, {len(rules.scopes)} scopes, "
        f"per-client rules for {len(rules.clients)} client(s)"
    )


@app.command("preview")
def preview(
    persona: Annotated[str, typer.Option(help="Persona id (see docs/personas.md).")],
    client: Annotated[str, typer.Option(help="Client id.")],
    personas_file: Annotated[
        Path, typer.Option(help="Persona data (the mock iAM Smart's fixture file).")
    ] = Path("mock_idps/iamsmart/personas.yaml"),
    claims_file: ClaimsFile = None,
    clients_file: ClientsFile = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the golden-file JSON.")] = False,
) -> None:
    """Print what CLIENT would receive when PERSONA signs in, at most (every scope it
    is allowed), and which iAM Smart profile fields the bridge would ask for."""
    import os

    from bridge.claims import ClaimMapper, load_rules
    from bridge.claims.preview import load_personas
    from bridge.claims.preview import preview as make_preview
    from bridge.errors import ConfigError
    from bridge.provider.clients import load_clients

    rules_path, clients_path = _paths(claims_file, clients_file)
    try:
        mapper = ClaimMapper(load_rules(rules_path))
        identities = load_personas(personas_file)
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
    typer.echo("asks iAM Smart for: " + (", ".join(result.profile_fields) or "(no profile)"))
