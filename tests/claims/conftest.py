from __future__ import annotations

from pathlib import Path

import pytest

from bridge.claims import ClaimMapper, MappingRules, load_rules

RULES_PATH = (
    Path(__file__).resolve().parents[2] / "config" / "claims" / "iamsmart-to-guangdong.yaml"
)


@pytest.fixture(scope="session")
def rules() -> MappingRules:
    """The rule file the bridge ships, as operators deploy it."""
    return load_rules(RULES_PATH)


@pytest.fixture(scope="session")
def mapper(rules: MappingRules) -> ClaimMapper:
    return ClaimMapper(rules)
