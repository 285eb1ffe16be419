"""Building Dynamic Client Registration (RFC 7591) from the settings and the
configuration: who registered clients sign in with, which claims their scopes give
them, the rules every client meets, and the registrars' keys. Kept out of `core.py` so
the composition root stays one page."""

from __future__ import annotations

import json
from collections.abc import Collection

from bridge.claims.directions import Directions
from bridge.clock import Clock
from bridge.configuration import Configuration, client_problems
from bridge.errors import ConfigError
from bridge.provider.clients import Client
from bridge.provider.registration import Registration
from bridge.provider.registration_metadata import RegistrationPolicy
from bridge.settings import Settings
from bridge.store.backend import KeyValueBackend
from bridge.store.registered_clients import (
    ClientStore,
    KeyValueClientStore,
    KeyValueRegistrationTokens,
)
from bridge.store.sealing import Sealer
from bridge.tokens.jose_rules import PublicKey
from bridge.tokens.key_sources import parse_jwks
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID


def registrar_keys(settings: Settings) -> list[PublicKey]:
    path = settings.registration_registrar_jwks_file
    if path is None:
        return []
    try:
        keys, problems = parse_jwks(json.loads(path.read_text()))
    except (OSError, ValueError) as exc:
        raise ConfigError("registration", [f"{path}: {exc}"]) from None
    if problems:
        raise ConfigError("registration", [f"{path}: {p}" for p in problems])
    return list(keys)


def registration_policy(
    settings: Settings, config: Configuration, directions: Directions, scopes: Collection[str]
) -> RegistrationPolicy:
    mappers = [
        directions.mapper(config.upstream_types[name], settings.registration_downstream)
        for name in settings.registration_upstreams
        if name in config.upstream_types
    ]

    def claims_for(requested: Collection[str]) -> tuple[str, ...]:
        # A claim that needs a documented legal basis is never given by self-service.
        named = set()
        for mapper in mappers:
            rules = mapper.rules.claims
            named |= {
                c for c in mapper.claims_for_scopes(requested) if not rules[c].legal_basis_required
            }
        return tuple(sorted(named))

    def problems(client: Client) -> list[str]:
        return client_problems(settings, client, "registration", config.upstreams, config.rules)

    return RegistrationPolicy(
        upstreams=settings.registration_upstreams,
        downstream=settings.registration_downstream,
        supported_scopes=frozenset({SCOPE_OPENID, SCOPE_OFFLINE_ACCESS, *scopes}),
        claims_for=claims_for,
        problems=problems,
    )


def build_registration(
    settings: Settings,
    config: Configuration,
    *,
    directions: Directions,
    scopes: Collection[str],
    backend: KeyValueBackend,
    sealer: Sealer,
    clock: Clock,
    clients: ClientStore | None = None,
) -> Registration | None:
    """`clients`: where registered clients are kept (PostgreSQL); by default the
    key-value store."""
    if not settings.registration_enabled:
        return None
    return Registration(
        issuer=settings.issuer,
        store=clients or KeyValueClientStore(backend, sealer, clock),
        tokens=KeyValueRegistrationTokens(backend, sealer, clock),
        registry=config.clients,
        policy=registration_policy(settings, config, directions, scopes),
        registrar_keys=registrar_keys(settings),
        clock=clock,
    )
