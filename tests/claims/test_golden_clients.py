"""Golden claim sets per persona × client: what each registered client of
config/clients.yaml receives, at most, when each persona of docs/personas.md signs in —
by the shipped rules, its own per-client rules and its release policy — and which iAM
Smart profile fields the bridge asks for to produce them.

Persona data is the mock iAM Smart's fixture file, read as data (as `bridge claims
preview` reads it). The goldens are reviewed by hand; to propose a new one:

    bridge claims preview --persona P --client C --json > tests/claims/golden/clients/C/P.json
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from bridge.claims import ClaimMapper
from bridge.claims.directions import Directions
from bridge.claims.preview import PERSONA_FILES, load_personas, preview
from bridge.claims.rules import load_rule_directory
from bridge.model import UpstreamIdentity
from bridge.provider.clients import Client, load_clients

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden" / "clients"
CLIENTS = {c.client_id: c for c in load_clients(REPO / "config/clients.yaml", {})[0]}
DIRECTIONS = Directions(load_rule_directory(REPO / "config/claims"))
PERSONAS: dict[str, dict[str, UpstreamIdentity]] = {
    kind: load_personas(REPO / path, kind) for kind, path in PERSONA_FILES.items()
}
"""Upstream type → persona id → identity (the config's upstream names are the types)."""
CASES = [
    (client_id, upstream, persona)
    for client_id, client in sorted(CLIENTS.items())
    for upstream in client.upstreams
    for persona in sorted(PERSONAS[upstream])
]


def _dump(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize(("client_id", "upstream", "persona"), CASES)
def test_client_receives_its_golden_claims_for_each_persona(
    client_id: str, upstream: str, persona: str
) -> None:
    client: Client = CLIENTS[client_id]
    mapper: ClaimMapper = DIRECTIONS.mapper(upstream, client.downstream)
    golden_file = GOLDEN / client_id / f"{persona}.json"
    assert golden_file.is_file(), (
        f"no golden file for {client_id} × {persona}; review the output of "
        f"`bridge claims preview --persona {persona} --client {client_id} "
        f"--upstream {upstream} --json`"
    )
    expected = json.loads(golden_file.read_text(encoding="utf-8"))
    actual = preview(
        mapper,
        PERSONAS[upstream][persona],
        client_id=client_id,
        allowed_claims=client.allowed_claims,
        allowed_scopes=client.allowed_scopes,
    ).as_golden()
    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                _dump(expected).splitlines(keepends=True),
                _dump(actual).splitlines(keepends=True),
                fromfile=f"golden/clients/{client_id}/{persona}.json",
                tofile="mapped now",
            )
        )
        pytest.fail(f"{client_id} × {persona} differs from its golden file:\n{diff}", pytrace=False)


def test_every_client_golden_file_belongs_to_a_client_and_a_persona() -> None:
    for path in GOLDEN.glob("*/*.json"):
        assert path.parent.name in CLIENTS, f"{path}: no such client in config/clients.yaml"
        client = CLIENTS[path.parent.name]
        known = {p for upstream in client.upstreams for p in PERSONAS[upstream]}
        assert path.stem in known, f"{path}: no persona of {client.client_id}'s upstreams"


def test_no_client_ever_receives_a_claim_outside_its_allowed_claims() -> None:
    for path in GOLDEN.glob("*/*.json"):
        released = json.loads(path.read_text(encoding="utf-8"))["userinfo"]
        assert set(released) <= set(CLIENTS[path.parent.name].allowed_claims), path
