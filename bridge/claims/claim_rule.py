"""One claim's rule: where its value comes from, how it is transformed, when it is
produced, and how the consent page presents it. The file-level schema and loading are
in `rules.py`; per-client overrides of these rules in `overrides.py`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from bridge.claims.conditions import Condition
from bridge.claims.sources import Shape
from bridge.claims.transforms import AS_IS_ACCEPTS, CODE_TABLE_ACCEPTS, TRANSFORMS

Locale = Literal["en", "zh-Hant", "zh-Hans"]
LOCALES: tuple[Locale, ...] = ("en", "zh-Hant", "zh-Hans")

_SOURCE_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*")


def resolve_locale(tag: str) -> Locale:
    """The label language for a BCP 47 tag: zh-Hant, zh-HK, zh-MO, zh-TW → zh-Hant; other
    Chinese → zh-Hans; anything else → en."""
    subtags = tag.replace("_", "-").lower().split("-")
    if subtags[0] != "zh":
        return "en"
    # An explicit script subtag wins over the region (zh-Hans-HK is Simplified).
    if "hans" in subtags:
        return "zh-Hans"
    if "hant" in subtags or any(s in ("hk", "mo", "tw") for s in subtags[1:]):
        return "zh-Hant"
    return "zh-Hans"


class _Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )


NonEmpty = Annotated[str, Field(min_length=1)]


class Labels(_Strict):
    """What the consent page calls the claim, in each of its languages."""

    en: NonEmpty
    zh_hant: NonEmpty = Field(alias="zh-Hant")
    zh_hans: NonEmpty = Field(alias="zh-Hans")

    def for_locale(self, tag: str) -> str:
        locale = resolve_locale(tag)
        if locale == "zh-Hant":
            return self.zh_hant
        if locale == "zh-Hans":
            return self.zh_hans
        return self.en


def _known_transform(name: str) -> str:
    if name not in TRANSFORMS:
        known = ", ".join(sorted(TRANSFORMS))
        raise ValueError(f"unknown transform {name!r} (known: {known}, or a code_table)")
    return name


class CodeTable(_Strict):
    """A lookup table transform: `{code_table: {M: "1"}, otherwise: "9", missing: "0"}`."""

    code_table: dict[str, str] = Field(min_length=1)
    otherwise: str | None = None
    """The value for a code that is not in the table; without it such a claim is left out."""
    missing: str | None = None
    """The value when no source is present; without it the claim is left out."""


def _transform_form(value: Any) -> str | None:
    # Tags are written in angle brackets so they can be told apart from real keys when
    # validation errors are shown.
    if isinstance(value, str):
        return "<name>"
    # A CodeTable instance arrives here when a validated rule is serialised.
    if isinstance(value, CodeTable) or (isinstance(value, Mapping) and "code_table" in value):
        return "<code_table>"
    return None


TransformRule = Annotated[
    Annotated[Annotated[str, AfterValidator(_known_transform)], Tag("<name>")]
    | Annotated[CodeTable, Tag("<code_table>")],
    Discriminator(
        _transform_form,
        custom_error_type="transform_form",
        custom_error_message="must be a transform name or a mapping with a code_table",
    ),
]


def _source_path(path: str) -> str:
    if not _SOURCE_PATH.fullmatch(path):
        raise ValueError(f"{path!r} is not a dotted path such as chName.ChineseName")
    return path


def _one_or_many(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


SourcePath = Annotated[str, AfterValidator(_source_path)]


class SourceSpec(BaseModel):
    """Where a claim's value comes from: the part of a rule the cross-checks need.

    Read on its own (ignoring other keys) from a rule that failed validation elsewhere,
    so that a missing label does not hide a bad source path in the same rule.
    """

    model_config = ConfigDict(
        extra="ignore", frozen=True, validate_by_name=True, validate_by_alias=True
    )

    sources: Annotated[
        tuple[SourcePath, ...], BeforeValidator(_one_or_many), Field(alias="from", min_length=1)
    ]
    """Dotted paths into the profile; the first one present gives the value."""
    transform: TransformRule | None = None
    when: Condition | None = None
    """Produce the claim only when this holds (`bridge.claims.conditions`)."""
    default: str | int | bool | None = None
    """The value when no `from` path has one. Not used when `when` does not hold or a
    transform refuses the value: a default stands in for absence, not for bad data."""

    @model_validator(mode="after")
    def _one_way_to_say_missing(self) -> SourceSpec:
        if (
            self.default is not None
            and isinstance(self.transform, CodeTable)
            and self.transform.missing is not None
        ):
            raise ValueError("give either default or the code_table's missing, not both")
        return self

    @property
    def transform_name(self) -> str:
        if self.transform is None:
            return "(none)"
        return self.transform if isinstance(self.transform, str) else "code_table"

    def accepted_shapes(self) -> frozenset[Shape]:
        if self.transform is None:
            return AS_IS_ACCEPTS
        if isinstance(self.transform, CodeTable):
            return CODE_TABLE_ACCEPTS
        return TRANSFORMS[self.transform].accepts


class ClaimRule(SourceSpec):
    """How one claim is produced from the upstream profile, and how it is presented."""

    model_config = ConfigDict(extra="forbid")

    labels: Labels
    sensitive: bool = False
    description: NonEmpty
    """What the claim is, without saying what a client uses it for."""
    value_labels: dict[str, Labels] | None = None
    """How the consent page names coded values (`sex` "2" → Female / 女), so the resident
    reads what is sent rather than a code."""
    shown_as: Literal["text", "date"] = "text"
    """`date`: an epoch-seconds value is shown as its calendar date (UTC)."""
    legal_basis_required: bool = False
    """Released only to a client whose registration documents its legal basis for
    receiving it (`legal_basis` in clients.yaml), e.g. an identity document number."""
