"""The vocabularies claim rules are checked against (re-exported for the claims side)."""

from __future__ import annotations

from bridge.upstream.vocabularies import VOCABULARIES
from bridge.vocabulary import SCALAR_SHAPES, Shape, SourceField, Vocabulary

__all__ = ["SCALAR_SHAPES", "VOCABULARIES", "Shape", "SourceField", "Vocabulary"]
