"""One claim mapper per direction: the rule file that turns one upstream's vocabulary into
one downstream jurisdiction's claims (`config/claims/<upstream>-to-<downstream>.yaml`).

A sign-in is mapped by the rules for (the upstream the resident used, the downstream the
client belongs to): a Hong Kong service gets Hong Kong claims whether the resident came
through iAM Smart or Guangdong's platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping

from bridge.claims.mapper import ClaimMapper
from bridge.claims.rules import MappingRules


class ClaimCatalog:
    """The claims of one downstream, whichever upstream they came from, by label."""

    def __init__(self, mappers: list[ClaimMapper]) -> None:
        self._mappers = mappers

    def labels(self, claims: Iterable[str], locale: str) -> list[str]:
        """Labels in rule-file order; a claim no rule defines any more, by its name."""
        wanted = set(claims)
        seen: dict[str, str] = {}
        for mapper in self._mappers:
            for claim in mapper.claims:
                if claim in wanted and claim not in seen:
                    seen[claim] = mapper.label(claim, locale)
        return [*seen.values(), *sorted(wanted - seen.keys())]


class NoDirection(LookupError):
    """No rule file maps this upstream to this downstream."""


class Directions:
    def __init__(self, rules: Iterable[MappingRules]) -> None:
        self._mappers: dict[tuple[str, str], ClaimMapper] = {
            (r.upstream, r.downstream): ClaimMapper(r) for r in rules
        }

    def mapper(self, upstream_type: str, downstream: str) -> ClaimMapper:
        """The mapper for an upstream type (`iamsmart`, `guangdong`) and a downstream."""
        try:
            return self._mappers[(upstream_type, downstream)]
        except KeyError:
            raise NoDirection(f"no claim rules map {upstream_type} to {downstream}") from None

    def has(self, upstream_type: str, downstream: str) -> bool:
        return (upstream_type, downstream) in self._mappers

    def __iter__(self) -> Iterator[tuple[tuple[str, str], ClaimMapper]]:
        return iter(self._mappers.items())

    @property
    def by_direction(self) -> Mapping[tuple[str, str], ClaimMapper]:
        return self._mappers

    @property
    def scopes(self) -> frozenset[str]:
        """Every scope some direction defines."""
        return frozenset(s for m in self._mappers.values() for s in m.scopes)

    @property
    def claims(self) -> tuple[str, ...]:
        """Every claim some direction can produce, in file order, once each."""
        return tuple(dict.fromkeys(c for m in self._mappers.values() for c in m.claims))

    def catalog(self, downstream: str | None) -> ClaimCatalog:
        """The claims one downstream receives (None: a client no longer registered)."""
        return ClaimCatalog([m for (_, d), m in self._mappers.items() if d == downstream])
