"""Claim mapping: an upstream identity → the claims released to a downstream client.

`ClaimMapper` compiles a validated rule file once and then does no I/O. It logs only
claim names and the reason a claim was left out, never a value: profile values are
personal data (README "Logs": no value of a resident ever reaches a log line).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bridge.claims.conditions import Condition, holds
from bridge.claims.conditions import paths as condition_paths
from bridge.claims.overrides import effective_rules
from bridge.claims.rules import ClaimRule, CodeTable, MappingRules
from bridge.claims.transforms import TRANSFORMS, Transform, TransformError, code_table
from bridge.claims.transforms import release_as_is as _as_is
from bridge.model import UpstreamIdentity

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Compiled:
    name: str
    paths: tuple[tuple[str, ...], ...]
    transform: Transform
    missing: str | int | bool | None
    condition: Condition | None = None

    @property
    def reads(self) -> tuple[tuple[str, ...], ...]:
        """Every profile path the rule looks at: its sources and its condition's."""
        extra = () if self.condition is None else condition_paths(self.condition)
        return self.paths + tuple(tuple(p.split(".")) for p in extra)

    def produce(self, attributes: Mapping[str, Any]) -> Any | None:
        """The claim value, or None when the claim is to be left out."""
        if self.condition is not None and not holds(self.condition, attributes, _lookup):
            return None
        for path in self.paths:
            value = _lookup(attributes, path)
            if value is None:
                continue
            # The first present source decides: falling back after a failed transform
            # would silently release a different attribute than the one the rule prefers.
            try:
                return self.transform(value)
            except TransformError as exc:
                logger.warning("claim %s left out: %s", self.name, exc)
                return None
        return self.missing


def _lookup(attributes: Mapping[str, Any], path: tuple[str, ...]) -> Any | None:
    node: Any = attributes
    for segment in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(segment)
    # An empty string or object has nothing to release; treating it as absent lets the
    # next fallback (or the rule's `missing` value) apply instead of an empty claim.
    if node is None or (isinstance(node, str) and not node.strip()):
        return None
    if isinstance(node, Mapping | list) and not node:
        return None
    return node


def _compile(name: str, rule: ClaimRule) -> _Compiled:
    paths = tuple(tuple(p.split(".")) for p in rule.sources)
    if rule.transform is None:
        return _Compiled(name, paths, _as_is, rule.default, rule.when)
    if isinstance(rule.transform, CodeTable):
        table = rule.transform
        missing = table.missing if table.missing is not None else rule.default
        transform = code_table(table.code_table, table.otherwise)
        return _Compiled(name, paths, transform, missing, rule.when)
    return _Compiled(name, paths, TRANSFORMS[rule.transform].func, rule.default, rule.when)


class ClaimMapper:
    """Produces claims from an `UpstreamIdentity` according to one rule file."""

    def __init__(self, rules: MappingRules) -> None:
        self._rules = rules
        self._compiled = {name: _compile(name, rule) for name, rule in rules.claims.items()}
        self._per_client = {
            client_id: {name: _compile(name, rule) for name, rule in client_rules.items()}
            for client_id, client_rules in effective_rules(rules.clients, rules.claims).items()
        }
        self._scopes = {scope: frozenset(names) for scope, names in rules.scopes.items()}
        self._token_fields = rules.vocabulary.token_fields

    @property
    def rules(self) -> MappingRules:
        return self._rules

    @property
    def claims(self) -> tuple[str, ...]:
        """Every claim the rules can produce, in file order."""
        return tuple(self._compiled)

    @property
    def scopes(self) -> frozenset[str]:
        """The scopes the rules define (others name no claims)."""
        return frozenset(self._scopes)

    @property
    def session_claims(self) -> frozenset[str]:
        """Claims about the sign-in (`acr`, `gd_level`) for every ID token, whatever the
        scopes: they describe how the resident authenticated, not who they are."""
        return frozenset(self._rules.session_claims)

    @property
    def clients_with_rules(self) -> frozenset[str]:
        """Clients for which the rule file says how their claims differ."""
        return frozenset(self._per_client)

    def _for(self, client_id: str | None) -> dict[str, _Compiled]:
        if client_id is None:
            return self._compiled
        return self._per_client.get(client_id, self._compiled)

    def map(
        self, identity: UpstreamIdentity, claims: Collection[str], *, client_id: str | None = None
    ) -> dict[str, Any]:
        """The asked-for claims that can be produced, in rule-file order, by the rules
        that apply to `client_id` (the file's, with that client's overrides).

        A claim whose condition does not hold, whose source is absent (and has no
        default), or whose value a transform refuses, is left out (never null). Raises
        `KeyError` for a claim the rules do not define.
        """
        wanted = self._known(claims)
        out: dict[str, Any] = {}
        for name, compiled in self._for(client_id).items():
            if name in wanted:
                value = compiled.produce(identity.attributes)
                if value is not None:
                    out[name] = value
        return out

    def claims_for_scopes(self, scopes: Iterable[str]) -> frozenset[str]:
        """The claims the given scopes name; a scope the rules do not define names none."""
        named: set[str] = set()
        for scope in scopes:
            named |= self._scopes.get(scope, frozenset())
        return frozenset(named)

    def source_fields(
        self, claims: Iterable[str], *, client_id: str | None = None
    ) -> tuple[str, ...]:
        """Top-level upstream fields needed for `claims` (sources and conditions, by the
        rules for `client_id`), sorted, so the bridge asks the upstream only for what it
        may release. Fields that come with the token (iAM Smart's `userType`,
        `lastModifiedDate`) are never listed."""
        compiled = self._for(client_id)
        fields = {
            path[0]
            for name in self._known(claims)
            for path in compiled[name].reads
            if path[0] not in self._token_fields
        }
        return tuple(sorted(fields))

    def label(self, claim: str, locale: str) -> str:
        """The consent-page label; `locale` is a BCP 47 tag (zh-HK → 繁體, zh-CN → 简体)."""
        return self._rule(claim).labels.for_locale(locale)

    def is_sensitive(self, claim: str) -> bool:
        return self._rule(claim).sensitive

    def display(self, claim: str, value: Any, locale: str) -> str:
        """The value as the consent page shows it (before masking)."""
        rule = self._rule(claim)
        if isinstance(value, dict):
            return str(value.get("formatted") or ", ".join(str(v) for v in value.values()))
        if rule.value_labels and str(value) in rule.value_labels:
            return rule.value_labels[str(value)].for_locale(locale)
        if rule.shown_as == "date" and isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=UTC).date().isoformat()
        return str(value)

    def description(self, claim: str) -> str:
        return self._rule(claim).description

    def _rule(self, claim: str) -> ClaimRule:
        try:
            return self._rules.claims[claim]
        except KeyError:
            raise KeyError(f"no rule for claim {claim!r}") from None

    def _known(self, claims: Iterable[str]) -> frozenset[str]:
        wanted = frozenset(claims)
        unknown = wanted - self._compiled.keys()
        if unknown:
            raise KeyError(f"no rule for claim(s): {', '.join(sorted(unknown))}")
        return wanted
