"""Every upstream type's vocabulary, by the type name claim rule files use (`upstream:`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bridge.upstream.guangdong.vocabulary import GUANGDONG
from bridge.upstream.iamsmart.vocabulary import IAMSMART
from bridge.vocabulary import Vocabulary

VOCABULARIES: Mapping[str, Vocabulary] = MappingProxyType(
    {vocabulary.name: vocabulary for vocabulary in (IAMSMART, GUANGDONG)}
)
"""Upstream type (the rule file's `upstream`) → vocabulary."""
