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

from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, model_validator

from bridge.claims.claim_rule import (
    LOCALES,
    ClaimRule,
    CodeTable,
    Labels,
    Locale,
    NonEmpty,
    SourceSpec,
    _Strict,
    resolve_locale,
)
from bridge.claims.consistency import cross_check
from bridge.claims.overrides import ClientRules, check_clients, effective_rules
from bridge.claims.sources import VOCABULARIES, Vocabulary
from bridge.claims.validation_errors import describe_errors
from bridge.errors import ConfigError
from bridge.yamlconfig import SAFE_LOADER

__all__ = [
    "LOCALES",
    "ClaimRule",
    "CodeTable",
    "Labels",
    "Locale",
    "MappingRules",
    "SourceSpec",
    "load_rule_directory",
    "load_rules",
    "parse_rules",
    "resolve_locale",
]


def _known_upstream(name: str) -> str:
    if name not in VOCABULARIES:
        raise ValueError(f"unknown upstream {name!r} (known: {', '.join(sorted(VOCABULARIES))})")
    return name


UpstreamName = Annotated[str, AfterValidator(_known_upstream)]


class ConsentPresentation(_Strict):
    """How the consent page presents this direction."""

    origin: Labels
    """Where the information comes from ("Hong Kong"); the client's jurisdiction is where
    it goes."""
    regime: Literal["pdpo", "pipl"] = "pdpo"
    """`pipl`: data leaves the Mainland, so the page is PIPL Art. 39's separate consent
    (recipient and contact, purpose, processing method, categories, how to exercise
    rights), in Simplified Chinese first."""


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
    clients: dict[str, ClientRules] = Field(default_factory=dict)
    """Client id → how its claims differ from the rules above (`overrides.py`)."""
    consent: ConsentPresentation | None = None

    def for_client(self, client_id: str | None) -> dict[str, ClaimRule]:
        """The rules that apply to `client_id`: the file's, with its overrides."""
        if client_id is None or client_id not in self.clients:
            return self.claims
        return effective_rules({client_id: self.clients[client_id]}, self.claims)[client_id]

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
        for client_id, rules in self.clients.items():
            for name in rules.claims:
                if name not in self.claims:
                    problems.append(f"clients.{client_id}.claims.{name}: no such claim")
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
    "clients": TypeAdapter(dict[str, Any]),
    "consent": TypeAdapter(ConsentPresentation),
}


def load_rules(path: Path) -> MappingRules:
    """Read and validate a rule file; raises `ConfigError` listing every problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [f"cannot read the rule file: {exc}"]) from exc
    return parse_rules(text, source=str(path))


def load_rule_directory(directory: Path) -> tuple[MappingRules, ...]:
    """Every rule file (`*.yaml`) in `directory`, one per direction, with the problems of
    all of them in one `ConfigError`; two files for one direction are refused."""
    paths = sorted(directory.glob("*.yaml")) if directory.is_dir() else []
    if not paths:
        raise ConfigError(str(directory), ["no claim rule files (*.yaml) found"])
    loaded: dict[tuple[str, str], tuple[Path, MappingRules]] = {}
    problems: list[str] = []
    for path in paths:
        try:
            rules = load_rules(path)
        except ConfigError as exc:
            problems += [f"{exc.source}: {problem}" for problem in exc.problems]
            continue
        direction = (rules.upstream, rules.downstream)
        if direction in loaded:
            problems.append(
                f"{path}: maps {rules.upstream} to {rules.downstream} like "
                f"{loaded[direction][0]}: one file per direction"
            )
            continue
        loaded[direction] = (path, rules)
    if problems:
        raise ConfigError(str(directory), problems)
    return tuple(rules for _, rules in loaded.values())


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
                problems.extend(describe_errors(exc, (key,)))

    claims: dict[str, ClaimRule] = {}
    specs: dict[str, SourceSpec] = {}
    for name, body in sections.get("claims", {}).items():
        try:
            claims[name] = specs[name] = ClaimRule.model_validate(body)
        except ValidationError as exc:
            problems.extend(describe_errors(exc, ("claims", name)))
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
    clients: dict[str, ClientRules] = {}
    if "clients" in sections:
        upstream = sections.get("upstream")
        clients, found = check_clients(
            sections["clients"], claims, VOCABULARIES.get(upstream) if upstream else None
        )
        problems.extend(found)
    if problems:
        raise ConfigError(source, problems)
    return MappingRules.model_validate({**sections, "claims": claims, "clients": clients})


def _partial_spec(body: Any) -> SourceSpec | None:
    try:
        return SourceSpec.model_validate(body)
    except ValidationError:
        return None  # its errors were reported by the full validation


# SAFE_LOADER is libyaml's where PyYAML has it (bridge/yamlconfig.py says why); its nodes
# carry the same marks, so repeated keys are reported on the same lines.
class _Loader(SAFE_LOADER):  # type: ignore[misc]
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
        mapping: dict[Hashable, Any] = super().construct_mapping(node, deep)
        return mapping


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
