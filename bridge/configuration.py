"""Loading and cross-checking every configuration file at start-up, reporting every
problem at once (dex's Validate), so an operator fixes them in one pass."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, SecretStr

from bridge.claims.rules import MappingRules, load_rules
from bridge.errors import ConfigError
from bridge.provider.clients import ClientRegistry, load_clients
from bridge.provider.token_exchange_config import ExchangeConfig, load_exchange_for_clients
from bridge.settings import DEV_MARKER, Settings
from bridge.upstream.registry import load_upstreams
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID


@dataclass(frozen=True)
class Configuration:
    clients: ClientRegistry
    upstreams: dict[str, BaseModel]
    rules: MappingRules
    exchange: ExchangeConfig = field(default_factory=ExchangeConfig)


def _cross_check(
    settings: Settings,
    clients: ClientRegistry,
    upstreams: Mapping[str, BaseModel],
    rules: MappingRules | None,
) -> list[str]:
    problems = []
    claims = set(rules.claims) if rules else None
    scopes = {SCOPE_OPENID, SCOPE_OFFLINE_ACCESS, *rules.scopes} if rules else None
    for client in clients:
        where = f"{settings.clients_file}: client {client.client_id}"
        if upstreams and client.upstream not in upstreams:
            problems.append(f"{where}: upstream {client.upstream!r} is not configured")
        if claims is not None:
            for claim in sorted(set(client.allowed_claims) - claims):
                problems.append(f"{where}: allowed claim {claim!r} has no mapping rule")
        if scopes is not None:
            for scope in sorted(set(client.allowed_scopes) - scopes):
                problems.append(f"{where}: allowed scope {scope!r} is not defined")
        if not settings.development:
            if client.development:
                problems.append(f"{where}: a development client is refused outside development")
            for uri in client.insecure_redirect_uris():
                problems.append(f"{where}: redirect URI {uri} must use https")
    if not settings.development:
        for name, upstream in upstreams.items():
            secret = getattr(upstream, "client_secret", None)
            if isinstance(secret, SecretStr) and secret.get_secret_value().startswith(DEV_MARKER):
                problems.append(
                    f"{settings.upstreams_file}: upstream {name} uses a development secret"
                )
    return problems


def load_configuration(settings: Settings, env: Mapping[str, str]) -> Configuration:
    problems = list(settings.production_problems())
    clients, found = load_clients(settings.clients_file, env)
    problems += found
    upstreams, found = load_upstreams(settings.upstreams_file, env, issuer=settings.issuer)
    problems += found
    rules: MappingRules | None = None
    try:
        rules = load_rules(settings.claims_file)
    except ConfigError as exc:
        problems += exc.problems
    problems += _cross_check(settings, clients, upstreams, rules)
    exchange, found = load_exchange_for_clients(
        settings.token_exchange_file, env, clients, production=not settings.development
    )
    problems += found
    if problems or rules is None:
        raise ConfigError("configuration", problems)
    return Configuration(clients=clients, upstreams=upstreams, rules=rules, exchange=exchange)
