"""The rules of a token exchange request (RFC 8693 §2.1, §4, RFC 8707 §2) that need no
store and no network: reading the parameters, choosing the targets the client's policy
allows, narrowing scope, and composing `act` from the actor and the subject's own
`act`/`may_act`. `grants/token_exchange.py` runs them in order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bridge.errors import InvalidRequestError, InvalidScopeError, InvalidTargetError, quoted
from bridge.provider.presented_tokens import PresentedToken
from bridge.provider.token_exchange_config import ClientExchangePolicy, ExchangeConfig, Target
from bridge.wire import (
    SCOPE_OFFLINE_ACCESS,
    SCOPE_OPENID,
    TOKEN_TYPE_ACCESS_TOKEN,
    TOKEN_TYPE_JWT,
)

MAX_TARGETS = 5
MAX_ACT_DEPTH = 5
"""Delegation chains deeper than this are refused rather than carried on forever."""
EXCHANGE_REPEATABLE = frozenset({"audience", "resource"})


@dataclass(frozen=True, slots=True)
class ExchangeRequest:
    subject_token: str
    subject_token_type: str
    actor_token: str | None
    actor_token_type: str | None
    requested_token_type: str
    audiences: tuple[str, ...]
    resources: tuple[str, ...]
    scope: str | None


def _values(form: Mapping[str, str], name: str) -> tuple[str, ...]:
    # The HTTP layer's form keeps every value of a repeatable parameter (`values_of`);
    # a plain mapping holds one.
    values_of = getattr(form, "values_of", None)
    values: tuple[str | None, ...] = values_of(name) if values_of else (form.get(name),)
    present = tuple(dict.fromkeys(v for v in values if v is not None))
    if any(not v for v in present):
        raise InvalidRequestError(f"{name} must not be empty")
    if len(present) > MAX_TARGETS:
        raise InvalidRequestError(f"At most {MAX_TARGETS} {name} values are accepted")
    return present


def parse_request(form: Mapping[str, str]) -> ExchangeRequest:
    subject_token = form.get("subject_token")
    subject_token_type = form.get("subject_token_type")
    if not subject_token or not subject_token_type:
        raise InvalidRequestError("subject_token and subject_token_type are required")
    actor_token = form.get("actor_token") or None
    actor_token_type = form.get("actor_token_type") or None
    if (actor_token is None) != (actor_token_type is None):
        # §2.1: actor_token_type is REQUIRED with actor_token and MUST NOT appear without.
        raise InvalidRequestError("actor_token and actor_token_type go together")
    resources = _values(form, "resource")
    for resource in resources:
        parts = urlsplit(resource)
        if not parts.scheme or not parts.netloc or parts.fragment or "#" in resource:
            # RFC 8707 §2: an absolute URI without a fragment, else invalid_target.
            raise InvalidTargetError(f"resource {quoted(resource, 80)} is not an absolute URI")
    return ExchangeRequest(
        subject_token=subject_token,
        subject_token_type=subject_token_type,
        actor_token=actor_token,
        actor_token_type=actor_token_type,
        requested_token_type=form.get("requested_token_type") or TOKEN_TYPE_ACCESS_TOKEN,
        audiences=_values(form, "audience"),
        resources=resources,
        scope=form.get("scope"),
    )


def choose_targets(
    request: ExchangeRequest, policy: ClientExchangePolicy, config: ExchangeConfig
) -> tuple[Target, ...]:
    """Every audience and resource must name a target the client's policy allows."""
    named: list[Target] = []
    for value, target in [
        *((a, config.target_for_audience(a)) for a in request.audiences),
        *((r, config.target_for_resource(r)) for r in request.resources),
    ]:
        if target is None or target.name not in policy.targets:
            raise InvalidTargetError(
                f"The target {quoted(value, 80)} is unknown or not allowed for this client"
            )
        if target not in named:
            named.append(target)
    if not named:
        if policy.default_target is None:
            raise InvalidRequestError("audience or resource is required")
        named.append(config.targets[policy.default_target])
    if len(named) > 1 and any(t.kind == "jwt_bearer" for t in named):
        raise InvalidTargetError(
            "A token from another authorization server is for that audience alone"
        )
    kind = named[0].kind
    allowed = (
        (TOKEN_TYPE_ACCESS_TOKEN, TOKEN_TYPE_JWT)
        if kind == "bridge"
        else (TOKEN_TYPE_ACCESS_TOKEN,)
    )
    if request.requested_token_type not in allowed:
        raise InvalidRequestError(
            f"requested_token_type {quoted(request.requested_token_type, 80)} is not supported"
        )
    return tuple(named)


def scope_for(
    request: ExchangeRequest, subject: PresentedToken, targets: Sequence[Target]
) -> tuple[str, ...]:
    """The ceiling is what the subject token carries, within what every target may
    carry; a token from another authorization server uses that server's scopes. The
    request may only narrow it."""
    if targets[0].kind == "jwt_bearer":
        ceiling = list(targets[0].scopes)
    else:
        # An exchanged token is an API token: never a refresh right, never `openid`
        # (it opens no UserInfo and stands for no sign-in, OIDC Core §3.1.2.1).
        ceiling = [s for s in subject.scopes if s not in (SCOPE_OFFLINE_ACCESS, SCOPE_OPENID)]
        if not subject.from_bridge and not ceiling:
            ceiling = list(targets[0].scopes)
        for target in targets:
            if target.scopes:
                ceiling = [s for s in ceiling if s in target.scopes]
    if request.scope is None:
        return tuple(ceiling)
    scopes = tuple(dict.fromkeys(request.scope.split()))
    if not scopes:
        raise InvalidScopeError("scope is empty")
    wider = [s for s in scopes if s not in ceiling]
    if wider:
        raise InvalidScopeError(f"Scope {quoted(wider[0])} exceeds the subject token's")
    return scopes


def _depth(act: Mapping[str, Any] | None) -> int:
    depth = 0
    while isinstance(act, Mapping) and depth <= MAX_ACT_DEPTH:
        depth += 1
        act = act.get("act")
    return depth


def _may_act_allows(may_act: Mapping[str, Any], actor: PresentedToken) -> bool:
    """§4.4: every identifying claim `may_act` names must be the actor's."""
    known = {"sub": actor.subject, "iss": actor.issuer}
    named = {k: v for k, v in may_act.items() if k in ("sub", "iss", "client_id")}
    if "sub" not in named:
        return False
    if "client_id" in named:
        known["client_id"] = actor.client_id or actor.claims.get("client_id", "")
    return all(known.get(k) == v for k, v in named.items())


def act_claim(
    subject: PresentedToken, actor: PresentedToken | None, policy: ClientExchangePolicy
) -> dict[str, Any] | None:
    """§4.1: the current actor outermost, earlier actors nested inside it."""
    if actor is None:
        return dict(subject.act) if subject.act else None
    if not policy.allow_delegation:
        raise InvalidRequestError("This client may not present an actor_token")
    may_act = subject.may_act
    if may_act is not None and not _may_act_allows(may_act, actor):
        raise InvalidRequestError("The actor_token is not a party the subject's may_act names")
    act: dict[str, Any] = {"sub": actor.subject, "iss": actor.issuer}
    if subject.act:
        act["act"] = dict(subject.act)
    if _depth(act) > MAX_ACT_DEPTH:
        raise InvalidRequestError("The delegation chain is too long")
    return act
