"""Checks that span a rule file: names, and references between its parts.

Run after each part has been validated on its own, on whatever parts did validate, so
that one broken claim does not hide problems elsewhere in the file.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from bridge.claims.conditions import paths
from bridge.claims.sources import VOCABULARIES, Shape, Vocabulary

if TYPE_CHECKING:
    from bridge.claims.rules import SourceSpec

# OIDC Core §5.2: a claim name may carry a BCP 47 language tag after '#'.
_CLAIM_NAME = re.compile(r"[a-z][a-z0-9_]*(#[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*)?")
# RFC 6749 §3.3 scope-token.
_SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")


def cross_check(
    *,
    declared: Collection[str],
    specs: Mapping[str, SourceSpec],
    upstream: str | None,
    scopes: Mapping[str, Sequence[str]] | None,
    session_claims: Sequence[str] | None,
) -> list[str]:
    """Every problem found. `declared` names all claims in the file, including those
    whose rule did not validate, so a scope naming a broken claim is not also reported as
    naming an unknown one; `specs` holds the source part of each rule that could be read.
    A part that did not validate is None and the checks needing it are skipped."""
    problems: list[str] = []
    for name in declared:
        if not _CLAIM_NAME.fullmatch(name):
            problems.append(f"claims.{name}: not a claim name (lower case, optional #lang-tag)")

    vocabulary = VOCABULARIES.get(upstream) if upstream is not None else None
    if vocabulary is not None:
        for name, spec in specs.items():
            problems.extend(check_sources(f"claims.{name}", spec, vocabulary))

    released: set[str] = set()
    for scope, names in (scopes or {}).items():
        where = f"scopes.{scope}"
        if not _SCOPE_TOKEN.fullmatch(scope):
            problems.append(f"{where}: not a scope token (RFC 6749 §3.3)")
        problems.extend(_check_references(where, names, declared))
        released.update(names)
    problems.extend(_check_references("session_claims", session_claims or (), declared))
    released.update(session_claims or ())

    if scopes is not None and session_claims is not None:
        for name in declared:
            if name not in released:
                problems.append(
                    f"claims.{name}: named by no scope and not a session claim, "
                    "so it would never be released"
                )
    return problems


def check_sources(prefix: str, rule: SourceSpec, vocabulary: Vocabulary) -> list[str]:
    """The rule's `from` paths and `when` paths exist upstream, with shapes its
    transform takes."""
    problems = []
    if rule.when is not None:
        for path in dict.fromkeys(paths(rule.when)):
            try:
                vocabulary.shape_of(tuple(path.split(".")))
            except LookupError as exc:
                problems.append(f"{prefix}.when: {exc}")
    where = f"{prefix}.from"
    accepted = rule.accepted_shapes()
    for path, count in Counter(rule.sources).items():
        if count > 1:
            problems.append(f"{where}: {path!r} is listed {count} times")
    for path in dict.fromkeys(rule.sources):
        try:
            shape = vocabulary.shape_of(tuple(path.split(".")))
        except LookupError as exc:
            problems.append(f"{where}: {exc}")
            continue
        if shape in accepted:
            continue
        takes = ", ".join(sorted(accepted - {Shape.UNKNOWN}))
        if rule.transform is None:
            problems.append(
                f"{where}: {path!r} has shape {shape}; without a transform only single "
                f"values ({takes}) are released, so name one of its fields or add a transform"
            )
        else:
            problems.append(
                f"{where}: {path!r} has shape {shape} but transform "
                f"{rule.transform_name} takes {takes}"
            )
    return problems


def _check_references(where: str, names: Iterable[str], declared: Collection[str]) -> list[str]:
    problems = []
    counts = Counter(names)
    for claim, count in counts.items():
        if claim not in declared:
            problems.append(f"{where}: names unknown claim {claim!r}")
        if count > 1:
            problems.append(f"{where}: names claim {claim!r} {count} times")
    return problems
