"""The composition root: `create_app(settings)` builds every component once and wires
them together. Nothing is built at import, so tests build apps with their own settings,
clock, store and HTTP client."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI

from bridge import __version__
from bridge.audit import AuditTrail, LogAuditTrail
from bridge.broker import Broker, BrokerPolicy
from bridge.claims.mapper import ClaimMapper
from bridge.clock import Clock, SystemClock
from bridge.configuration import Configuration, load_configuration
from bridge.errors import ConfigError, SigningKeyError
from bridge.http.errors import install_error_handlers, render_error
from bridge.http.middleware import RequestContextMiddleware
from bridge.http.pages import Pages
from bridge.http.routes import api, health, metadata, signin
from bridge.provider.discovery import openid_configuration
from bridge.provider.token import TokenEndpoint, TokenLifetimes
from bridge.services import Services
from bridge.settings import Settings
from bridge.signing.keyset import KeySet
from bridge.signing.storage import load_keyset
from bridge.store.backend import KeyValueBackend
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer
from bridge.tokens.issuer import TokenIssuer
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.upstream.registry import build_connectors

log = structlog.get_logger(__name__)


def _load_everything(settings: Settings, env: Mapping[str, str]) -> tuple[Configuration, KeySet]:
    """Configuration files and keys, with the problems of both reported together."""
    problems: list[str] = []
    config = keyset = None
    try:
        config = load_configuration(settings, env)
    except ConfigError as exc:
        problems += exc.problems
    try:
        keyset = load_keyset(settings.keys_dir)
        if keyset.has_development_keys and not settings.development:
            problems.append(
                f"{settings.keys_dir} holds development keys, refused outside development"
            )
    except SigningKeyError as exc:
        problems.append(str(exc))
    if problems or config is None or keyset is None:
        raise ConfigError("start-up", problems)
    return config, keyset


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    backend: KeyValueBackend | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    audit: AuditTrail | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    config, keyset = _load_everything(settings, os.environ if env is None else env)
    if backend is None:
        backend = (
            RedisBackend.from_url(settings.redis_url)
            if settings.redis_url
            else MemoryBackend(clock)
        )
    stores = Stores.build(backend, Sealer(settings.store_key.get_secret_value()), clock)
    owns_http = http is None
    http = http or httpx.AsyncClient(timeout=settings.upstream_timeout)
    connectors = build_connectors(config.upstreams, http=http, clock=clock)
    mapper = ClaimMapper(config.rules)

    def current_keys() -> KeySet:
        return keyset

    broker = Broker(
        policy=BrokerPolicy(
            issuer=settings.issuer,
            pairwise_salt=settings.pairwise_salt.get_secret_value(),
            flow_ttl=settings.flow_ttl,
            consent_ttl=settings.consent_ttl,
            code_ttl=settings.code_ttl,
            grant_ttl=settings.access_token_ttl,
        ),
        clients=config.clients,
        connectors=connectors,
        mapper=mapper,
        stores=stores,
        clock=clock,
        audit=audit or LogAuditTrail(),
    )
    issuer = TokenIssuer(settings.issuer, current_keys, clock)
    services = Services(
        settings=settings,
        clock=clock,
        clients=config.clients,
        keys=current_keys,
        stores=stores,
        mapper=mapper,
        connectors=connectors,
        broker=broker,
        token_endpoint=TokenEndpoint(
            stores=stores,
            issuer=issuer,
            lifetimes=TokenLifetimes(
                access_token=settings.access_token_ttl,
                id_token=settings.id_token_ttl,
                code=settings.code_ttl,
            ),
        ),
        verifier=AccessTokenVerifier(settings.issuer, current_keys, clock),
        pages=Pages(),
        discovery=openid_configuration(
            settings.issuer,
            scopes=broker.supported_scopes,
            claims=mapper.claims,
            signing_algs=[k.alg for k in keyset.all],
            acr_values=("L2", "L3"),
        ),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "bridge.started",
            issuer=settings.issuer,
            env=settings.env,
            store="redis" if settings.redis_url else "memory",
            kid=keyset.active.kid,
        )
        yield
        for connector in connectors.values():
            await connector.aclose()
        if owns_http:
            await http.aclose()
        await backend.aclose()

    app = FastAPI(
        title="GBA identity bridge",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.services = services
    for router in (metadata.router, signin.router, api.router, health.router):
        app.include_router(router)
    install_error_handlers(app, services.pages, settings.issuer)
    app.add_middleware(
        RequestContextMiddleware,
        on_error=lambda request, error: render_error(
            request, error, services.pages, settings.issuer
        ),
    )
    return app
