"""Declarative claim mapping: an upstream profile → the claims released downstream.

Rules live in YAML (`config/claims/*.yaml`, schema in `rules.py`), transforms are pure
registered functions (`transforms.py`), and `ClaimMapper` applies them. `release_set`
decides which claims a client receives.
"""

from bridge.claims.mapper import ClaimMapper
from bridge.claims.policy import release_set
from bridge.claims.rules import (
    LOCALES,
    ClaimRule,
    CodeTable,
    Labels,
    MappingRules,
    load_rules,
    parse_rules,
    resolve_locale,
)
from bridge.claims.sources import VOCABULARIES, Shape, Vocabulary
from bridge.claims.transforms import TRANSFORMS, TransformError

__all__ = [
    "LOCALES",
    "TRANSFORMS",
    "VOCABULARIES",
    "ClaimMapper",
    "ClaimRule",
    "CodeTable",
    "Labels",
    "MappingRules",
    "Shape",
    "TransformError",
    "Vocabulary",
    "load_rules",
    "parse_rules",
    "release_set",
    "resolve_locale",
]
