"""Every upstream type's vocabulary, by the type name claim rule files use (`upstream:`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from bridge.upstream.iamsmart.vocabulary import IAMSMART
from bridge.vocabulary import Vocabulary

VOCABULARIES: Mapping[str, Vocabulary] = MappingProxyType({IAMSMART.name: IAMSMART})
"""Upstream type (the rule file's `upstream`) → vocabulary."""
