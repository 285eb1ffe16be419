"""What an upstream identity provider can say about a resident, field by field: the
types every upstream's vocabulary is written in (`bridge/upstream/<name>/vocabulary.py`).

A claim rule's `from` path is checked against the upstream's vocabulary when the rule
file loads, so a typo (`chName.ChinesName`) or a transform applied to the wrong kind of
value (`e164_phone` on `emailAddress`) stops the bridge at start-up instead of silently
dropping a claim at sign-in. Neutral like `bridge.model`: the upstream side writes
vocabularies, the claims side reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Shape(StrEnum):
    """The kind of value a source path leads to; transforms declare which they take."""

    TEXT = "text"
    CODE = "code"
    """A short code from a list (gender `M`/`F`/`U`, `userType`)."""
    YYYYMMDD = "yyyymmdd"
    EPOCH_MS = "epoch_ms"
    HKIC = "hkic"
    """`{Identification, CheckDigit}`."""
    PHONE = "phone"
    """`{CountryCode, SubscriberNumber}` with an optional `NationalDestinationCode`."""
    HK_ADDRESS = "hk_address"
    """Hong Kong structured address (`ChiPremisesAddress`, `EngPremisesAddress`, ...)."""
    OBJECT = "object"
    """A structure with no transform of its own: name one of its fields."""
    UNKNOWN = "unknown"
    """Inside a structure whose full schema is not public; checked only at run time."""


SCALAR_SHAPES = frozenset({Shape.TEXT, Shape.CODE, Shape.YYYYMMDD, Shape.EPOCH_MS, Shape.UNKNOWN})
"""Shapes a rule may release unchanged (no transform)."""


@dataclass(frozen=True, slots=True)
class SourceField:
    shape: Shape
    children: Mapping[str, SourceField] = field(default_factory=dict)
    open: bool = False
    """Accept sub-paths not listed in `children` (their shape is UNKNOWN)."""


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """The attribute names one upstream returns, with the shape of each."""

    name: str
    fields: Mapping[str, SourceField]
    token_fields: frozenset[str]
    """Fields that arrive with the token, not from a profile request: never asked for."""
    display_name: str = ""
    """How developer tools name the upstream ("asks iAM Smart for: …")."""

    def shape_of(self, path: tuple[str, ...]) -> Shape:
        """The shape at `path`; raises `LookupError` naming the first unknown segment."""
        node = self.fields.get(path[0])
        if node is None:
            raise LookupError(f"{self.name} has no field {path[0]!r}")
        for depth, segment in enumerate(path[1:], start=1):
            child = node.children.get(segment)
            if child is None:
                if node.open:
                    return Shape.UNKNOWN
                parent = ".".join(path[:depth])
                if not node.children:
                    raise LookupError(f"{parent!r} is a single value and has no field {segment!r}")
                raise LookupError(f"{parent!r} has no field {segment!r}")
            node = child
        return node.shape


def struct(shape: Shape, **children: Shape) -> SourceField:
    """A structure whose named fields are single values."""
    return SourceField(shape, MappingProxyType({k: SourceField(v) for k, v in children.items()}))
