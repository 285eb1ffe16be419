"""The claim-mapping rule file: its schema, and loading with every problem reported.

A rule file maps one upstream's vocabulary to the claims the bridge releases in one
direction (here `config/claims/iamsmart-to-guangdong.yaml`)::

    version: 1
    upstream: iamsmart          # vocabulary the `from` paths are checked against
    downstream: guangdong       # who reads the claims (informational for now)
    claims:
      sex:
        from: gender            # a dotted path, or a list of fallbacks tried in order
        transform:              # optional: a registered name, or a parameterised form
          code_table: {M: "1", F: "2"}
          otherwise: "9"        # a code not in the table
          missing: "0"          # no source value at all
        labels: {en: Sex, zh-Hant: 性別, zh-Hans: 性别}
        sensitive: false        # masked on the consent page
        description: Sex as a GB/T 2261.1 code.
    scopes:                     # scope → claims it names
      profile: [sex]
    session_claims: [acr]       # about the sign-in itself; released with every ID token

Every mapping rejects unknown keys, so later additions (conditions, per-client rules,
defaults) are new optional keys and new transform forms, and an old bridge refuses a
file it does not understand instead of ignoring part of it.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from bridge.claims.consistency import cross_check
from bridge.claims.sources import VOCABULARIES, Shape, Vocabulary
from bridge.claims.transforms import AS_IS_ACCEPTS, CODE_TABLE_ACCEPTS, TRANSFORMS
from bridge.errors import ConfigError

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


def _known_upstream(name: str) -> str:
    if name not in VOCABULARIES:
        raise ValueError(f"unknown upstream {name!r} (known: {', '.join(sorted(VOCABULARIES))})")
    return name


UpstreamName = Annotated[str, AfterValidator(_known_upstream)]


class MappingRules(_Strict):
    """A validated rule file. Build it with `load_rules` or `parse_rules`, which report
    every problem; building it directly stops at the first broken part."""

    version: Literal[1]
    upstream: UpstreamName
    downstream: NonEmpty
    claims: dict[str, ClaimRule]
    """Claim name → rule, in file order (the order claims are produced in)."""
    scopes: dict[str, tuple[str, ...]]
    session_claims: tuple[str, ...] = ()
    """Claims about the sign-in itself (how the resident authenticated), which the token
    issuer adds to every ID token whatever the scopes."""

    @property
    def vocabulary(self) -> Vocabulary:
        return VOCABULARIES[self.upstream]

    @model_validator(mode="after")
    def _consistent(self) -> MappingRules:
        problems = cross_check(
            declared=self.claims.keys(),
            specs=self.claims,
            upstream=self.upstream,
            scopes=self.scopes,
            session_claims=self.session_claims,
        )
        if problems:
            raise ValueError("; ".join(problems))
        return self


# --- loading -------------------------------------------------------------------------

_REQUIRED = ("version", "upstream", "downstream", "claims", "scopes")
_SECTIONS: dict[str, TypeAdapter[Any]] = {
    "version": TypeAdapter(Literal[1]),
    "upstream": TypeAdapter(UpstreamName),
    "downstream": TypeAdapter(NonEmpty),
    "claims": TypeAdapter(dict[str, Any]),
    "scopes": TypeAdapter(dict[str, tuple[str, ...]]),
    "session_claims": TypeAdapter(tuple[str, ...]),
}


def load_rules(path: Path) -> MappingRules:
    """Read and validate a rule file; raises `ConfigError` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the rule file: {exc}"]) from exc
    return parse_rules(text, source=str(path))


def parse_rules(text: str, *, source: str = "<claim rules>") -> MappingRules:
    """Validate rule-file text; raises `ConfigError(source, problems)` with every problem."""
    problems: list[str] = []
    raw = _read_yaml(text, source, problems)
    if not isinstance(raw, dict):
        raise ConfigError(
            source, [*problems, "the file must be a mapping of " + ", ".join(_REQUIRED)]
        )

    sections: dict[str, Any] = {}
    failed: list[str] = []
    for key in raw:
        if key not in _SECTIONS:
            problems.append(f"{key}: unknown key (allowed: {', '.join(_SECTIONS)})")
    for key in _REQUIRED:
        if key not in raw:
            problems.append(f"{key}: required")
    for key, adapter in _SECTIONS.items():
        if key in raw:
            try:
                sections[key] = adapter.validate_python(raw[key])
            except ValidationError as exc:
                failed.append(key)
                problems.extend(_describe(exc, (key,)))

    claims: dict[str, ClaimRule] = {}
    specs: dict[str, SourceSpec] = {}
    for name, body in sections.get("claims", {}).items():
        try:
            claims[name] = specs[name] = ClaimRule.model_validate(body)
        except ValidationError as exc:
            problems.extend(_describe(exc, ("claims", name)))
            partial = _partial_spec(body)
            if partial is not None:
                specs[name] = partial

    problems.extend(
        cross_check(
            declared=sections.get("claims", {}).keys(),
            specs=specs,
            upstream=sections.get("upstream"),
            scopes=sections.get("scopes"),
            session_claims=None
            if "session_claims" in failed
            else sections.get("session_claims", ()),
        )
    )
    if problems:
        raise ConfigError(source, problems)
    return MappingRules.model_validate({**sections, "claims": claims})


def _partial_spec(body: Any) -> SourceSpec | None:
    try:
        return SourceSpec.model_validate(body)
    except ValidationError:
        return None  # its errors were reported by the full validation


class _Loader(yaml.SafeLoader):
    """SafeLoader that notes repeated keys, which plain YAML loading silently overwrites."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.repeated: list[str] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(
                key_node, yaml.ScalarNode
            ):
                continue
            line = key_node.start_mark.line + 1
            if key_node.value in first_line:
                self.repeated.append(
                    f"line {line}: key {key_node.value!r} repeats the one on line "
                    f"{first_line[key_node.value]} (only one of them would take effect)"
                )
            else:
                first_line[key_node.value] = line
        return super().construct_mapping(node, deep)


def _read_yaml(text: str, source: str, problems: list[str]) -> Any:
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        raise ConfigError(source, [f"not valid YAML: {exc}"]) from exc
    finally:
        loader.dispose()
    problems.extend(loader.repeated)
    return data


def _describe(exc: ValidationError, prefix: tuple[str, ...]) -> list[str]:
    out = []
    for error in exc.errors(include_url=False):
        where = ".".join(prefix)
        for part in error["loc"]:
            if isinstance(part, int):
                where += f"[{part}]"
            elif not part.startswith("<"):
                where += f".{part}"
        kind = error["type"]
        if kind == "missing":
            message = "required"
        elif kind == "extra_forbidden":
            message = "unknown key"
        elif kind == "too_short":
            message = f"must have at least {error['ctx']['min_length']} item(s)"
        elif kind == "literal_error":
            message = f"must be {error['ctx']['expected']}"
        elif kind == "value_error":
            message = str(error["ctx"]["error"])
        else:
            message = error["msg"]
        out.append(f"{where}: {message}")
    return out
