"""Per-client rules: one client receives a claim produced differently.

A rule file's `clients:` section names a client and, for any claim the file defines,
the parts of the rule that differ for it. Parts not named are inherited; naming a part
as null removes it (`transform: null`). Labels, sensitivity and description are the
claim's, so the consent page says the same thing whatever the client::

    clients:
      yss-portal-dev:
        description: Yue Sheng Shi shows names in Simplified characters.
        claims:
          name:
            from: [chNameVerified, enName.UnstructuredName]
            transform: hk_to_simplified
          name#zh-Hans:
            from: chNameVerified      # the transform is inherited

Which claims a client may receive at all is its registration's `allowed_claims`
(config/clients.yaml): an override changes how a claim is made, never whether.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError

from bridge.claims.claim_rule import (
    ClaimRule,
    NonEmpty,
    SourcePath,
    TransformRule,
    _one_or_many,
    _Strict,
)
from bridge.claims.conditions import Condition
from bridge.claims.consistency import check_sources
from bridge.claims.sources import Vocabulary
from bridge.claims.validation_errors import describe_errors

_CLIENT_ID = r"^[A-Za-z0-9._-]{1,64}$"


class RuleOverride(_Strict):
    """The parts of a claim rule that differ for one client."""

    sources: Annotated[
        tuple[SourcePath, ...] | None,
        BeforeValidator(_one_or_many),
        Field(alias="from", min_length=1),
    ] = None
    transform: TransformRule | None = None
    when: Condition | None = None
    default: str | int | bool | None = None


class ClientRules(_Strict):
    description: NonEmpty | None = None
    """Why this client differs (for reviewers of the file)."""
    claims: dict[str, RuleOverride] = Field(min_length=1)


def merged(base: ClaimRule, override: RuleOverride) -> ClaimRule:
    """The client's rule: `base` with the parts the override names replaced."""
    data = base.model_dump(by_alias=True)
    data.update(override.model_dump(by_alias=True, include=override.model_fields_set))
    return ClaimRule.model_validate(data)


def effective_rules(
    clients: Mapping[str, ClientRules], claims: Mapping[str, ClaimRule]
) -> dict[str, dict[str, ClaimRule]]:
    """Client id → the complete rule set for that client (only for clients with
    overrides). Raises `ValueError` for an override of an undefined claim."""
    out: dict[str, dict[str, ClaimRule]] = {}
    for client_id, rules in clients.items():
        combined = dict(claims)
        for name, override in rules.claims.items():
            combined[name] = merged(claims[name], override)
        out[client_id] = combined
    return out


def check_clients(
    raw: Any, claims: Mapping[str, ClaimRule], vocabulary: Vocabulary | None
) -> tuple[dict[str, ClientRules], list[str]]:
    """Validate the `clients:` section part by part, reporting every problem."""
    problems: list[str] = []
    valid: dict[str, ClientRules] = {}
    if not isinstance(raw, Mapping):
        return valid, ["clients: must map client ids to their rules"]
    for client_id, body in raw.items():
        where = f"clients.{client_id}"
        if not isinstance(client_id, str) or not re.fullmatch(_CLIENT_ID, client_id):
            problems.append(f"{where}: not a client id")
            continue
        try:
            rules = ClientRules.model_validate(body)
        except ValidationError as exc:
            problems.extend(_describe(exc, where))
            continue
        ok = True
        for name, override in rules.claims.items():
            if name not in claims:
                problems.append(f"{where}.claims.{name}: no such claim in this file")
                ok = False
                continue
            try:
                rule = merged(claims[name], override)
            except ValidationError as exc:
                problems.extend(_describe(exc, f"{where}.claims.{name}"))
                ok = False
                continue
            if vocabulary is not None:
                found = check_sources(f"{where}.claims.{name}", rule, vocabulary)
                problems.extend(found)
                ok = ok and not found
        if ok:
            valid[client_id] = rules
    return valid, problems


def _describe(exc: ValidationError, where: str) -> list[str]:
    return describe_errors(exc, (where,))
