"""Loading and cross-checking every configuration file at start-up, reporting every
problem at once (dex's Validate), so an operator fixes them in one pass."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel

from bridge.claims.rules import MappingRules, load_rule_directory
from bridge.errors import ConfigError
from bridge.production import upstream_problems
from bridge.provider.clients import Client, ClientRegistry, load_clients
from bridge.provider.token_exchange_config import ExchangeConfig, load_exchange_for_clients
from bridge.settings import Settings
from bridge.upstream.registry import load_upstreams
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID


@dataclass(frozen=True)
class Configuration:
    clients: ClientRegistry
    upstreams: dict[str, BaseModel]
    rules: tuple[MappingRules, ...]
    """One rule file per direction (upstream type → downstream)."""
    exchange: ExchangeConfig = field(default_factory=ExchangeConfig)

    @property
    def upstream_types(self) -> dict[str, str]:
        """Upstream name (config/upstreams.yaml) → its type (the rules' `upstream`)."""
        return {name: str(getattr(c, "type")) for name, c in self.upstreams.items()}  # noqa: B009


def _directions_of(
    client_upstreams: Sequence[str],
    downstream: str,
    upstream_types: Mapping[str, str],
    rules: Sequence[MappingRules],
) -> tuple[list[MappingRules], list[str]]:
    """The rule files a client's sign-ins are mapped by, and the upstreams with none."""
    by_direction = {(r.upstream, r.downstream): r for r in rules}
    found, missing = [], []
    for name in client_upstreams:
        kind = upstream_types.get(name)
        if kind is None:
            continue  # reported as an unconfigured upstream
        direction = by_direction.get((kind, downstream))
        if direction is None:
            missing.append(name)
        else:
            found.append(direction)
    return found, missing


def _direction_duties(where: str, client: Client, rule: MappingRules) -> list[str]:
    """What a direction's law asks of a client's registration."""
    problems = []
    direction = f"{rule.upstream}-to-{rule.downstream}"
    needs_basis = [
        claim
        for claim in client.allowed_claims
        if claim in rule.claims and rule.claims[claim].legal_basis_required
    ]
    if needs_basis and client.legal_basis is None:
        problems.append(
            f"{where}: allowed claim(s) {', '.join(sorted(needs_basis))} need a documented "
            f"legal_basis ({direction})"
        )
    pipl = rule.consent is not None and rule.consent.regime == "pipl"
    if pipl and (client.processing is None or client.contact is None):
        problems.append(
            f"{where}: receives data from the Mainland ({direction}): PIPL Art. 39 "
            "consent needs the client's processing and contact"
        )
    return problems


def _released_from(where: str, client: Client, directions: Sequence[MappingRules]) -> list[str]:
    """A claim or scope may come from only one of the client's directions (an English
    name only from iAM Smart), but from at least one."""
    if not directions:
        return []
    claims = {c for rule in directions for c in rule.claims}
    scopes = {SCOPE_OPENID, SCOPE_OFFLINE_ACCESS, *(s for r in directions for s in r.scopes)}
    named = ", ".join(f"{r.upstream}-to-{r.downstream}" for r in directions)
    problems = [
        f"{where}: allowed claim {claim!r} has no mapping rule ({named})"
        for claim in sorted(set(client.allowed_claims) - claims)
    ]
    problems += [
        f"{where}: allowed scope {scope!r} is not defined ({named})"
        for scope in sorted(set(client.allowed_scopes) - scopes)
    ]
    return problems


def client_problems(
    settings: Settings,
    client: Client,
    where: str,
    upstreams: Mapping[str, BaseModel],
    rules: Sequence[MappingRules] | None,
) -> list[str]:
    """What is wrong with one client's registration against the rest of the
    configuration: a configured one at start-up, a registered one (RFC 7591) when it
    registers, by the same rules."""
    problems = []
    types = {name: str(getattr(c, "type")) for name, c in upstreams.items()}  # noqa: B009
    for name in client.upstreams:
        if upstreams and name not in upstreams:
            problems.append(f"{where}: upstream {name!r} is not configured")
    if rules is not None:
        directions, missing = _directions_of(client.upstreams, client.downstream, types, rules)
        for name in missing:
            problems.append(
                f"{where}: no claim rules in {settings.claims_dir} map upstream "
                f"{name!r} ({types[name]}) to downstream {client.downstream!r}"
            )
        problems += _released_from(where, client, directions)
        for rule in directions:
            problems += _direction_duties(where, client, rule)
    if not settings.development:
        if client.development:
            problems.append(f"{where}: a development client is refused outside development")
        for uri in client.insecure_redirect_uris():
            problems.append(f"{where}: redirect URI {uri} must use https")
    enabled = settings.enabled_algorithms
    for alg in client.signing_algorithms:
        if alg not in enabled:
            problems.append(
                f"{where}: signing algorithm {alg} is not enabled (BRIDGE_KEYS_ALGORITHMS; "
                f"enabled: {', '.join(enabled)})"
            )
    return problems


def _cross_check(
    settings: Settings,
    clients: ClientRegistry,
    upstreams: Mapping[str, BaseModel],
    rules: Sequence[MappingRules] | None,
) -> list[str]:
    problems = []
    for client in clients:
        where = f"{settings.clients_file}: client {client.client_id}"
        problems += client_problems(settings, client, where, upstreams, rules)
    if not settings.development:
        for name, upstream in upstreams.items():
            problems += upstream_problems(f"{settings.upstreams_file}: upstream {name}", upstream)
    return problems


def _target_algorithm_problems(settings: Settings, exchange: ExchangeConfig) -> list[str]:
    """Every algorithm a token-exchange target chose must have keys."""
    enabled = settings.enabled_algorithms
    return [
        f"{settings.token_exchange_file}: target {target.name}: signing_alg "
        f"{target.signing_alg} is not enabled (BRIDGE_KEYS_ALGORITHMS; enabled: "
        f"{', '.join(enabled)})"
        for target in exchange.targets.values()
        if target.signing_alg is not None and target.signing_alg not in enabled
    ]


def load_configuration(settings: Settings, env: Mapping[str, str]) -> Configuration:
    problems = list(settings.production_problems())
    clients, found = load_clients(settings.clients_file, env)
    problems += found
    upstreams, found = load_upstreams(
        settings.upstreams_file, env, issuer=settings.issuer, keys_dir=settings.keys_dir
    )
    problems += found
    rules: tuple[MappingRules, ...] | None = None
    try:
        rules = load_rule_directory(settings.claims_dir)
    except ConfigError as exc:
        problems += exc.problems
    problems += _cross_check(settings, clients, upstreams, rules)
    exchange, found = load_exchange_for_clients(
        settings.token_exchange_file, env, clients, production=not settings.development
    )
    problems += found
    problems += _target_algorithm_problems(settings, exchange)
    if problems or rules is None:
        raise ConfigError("configuration", problems)
    return Configuration(clients=clients, upstreams=upstreams, rules=rules, exchange=exchange)
