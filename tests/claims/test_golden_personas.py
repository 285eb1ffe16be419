"""Golden claim sets: each persona of docs/personas.md, mapped with the shipped rules.

The expected claims live in tests/claims/golden/<persona>.json and are edited by hand
after review; this test never rewrites them.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from bridge.claims import ClaimMapper
from tests.claims.personas import PROFILES, identity

GOLDEN = Path(__file__).parent / "golden"


def _dump(claims: dict[str, Any]) -> str:
    return json.dumps(claims, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


@pytest.mark.parametrize("persona", sorted(PROFILES))
def test_persona_profile_maps_to_its_golden_claim_set(mapper: ClaimMapper, persona: str) -> None:
    golden_file = GOLDEN / f"{persona}.json"
    expected = json.loads(golden_file.read_text(encoding="utf-8"))

    actual = mapper.map(identity(persona), mapper.claims)

    if actual != expected:
        diff = "".join(
            difflib.unified_diff(
                _dump(expected).splitlines(keepends=True),
                _dump(actual).splitlines(keepends=True),
                fromfile=f"golden/{persona}.json",
                tofile="mapped now",
            )
        )
        pytest.fail(f"claims for {persona} differ from the golden file:\n{diff}", pytrace=False)


def test_every_golden_file_belongs_to_a_persona() -> None:
    assert {p.stem for p in GOLDEN.glob("*.json")} == set(PROFILES)


def test_golden_claim_sets_contain_no_nulls_or_empty_values() -> None:
    for golden_file in GOLDEN.glob("*.json"):
        claims = json.loads(golden_file.read_text(encoding="utf-8"))
        assert all(value not in (None, "", {}, []) for value in claims.values()), golden_file.name
