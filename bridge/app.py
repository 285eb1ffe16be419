"""The composition root: `create_app(settings)` builds every component once and wires
them together. Nothing is built at import, so tests build apps with their own settings,
clock, store and HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI

from bridge import __version__
from bridge.audit import AuditTrail
from bridge.audit.factory import default_trail
from bridge.broker import Broker, BrokerPolicy
from bridge.claims.mapper import ClaimMapper
from bridge.clock import Clock, SystemClock
from bridge.configuration import Configuration, load_configuration
from bridge.consent.account import AccountSignIn
from bridge.consent.memory import ConsentMemory
from bridge.errors import ConfigError
from bridge.http.api import ApiEndpoints
from bridge.http.errors import install_error_handlers, render_error
from bridge.http.middleware import RequestContextMiddleware
from bridge.http.pages import Pages
from bridge.http.routes import consents, error_page, health, metadata, signin
from bridge.http.routes import metrics as metrics_route
from bridge.metrics import BridgeMetrics
from bridge.oauth import build_oauth
from bridge.provider.discovery import openid_configuration
from bridge.services import Services
from bridge.settings import Settings
from bridge.signing.ring import KeyRing, LoadedKeys, SleepingTicker, Ticker, load_keys
from bridge.store.backend import KeyValueBackend
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer
from bridge.upstream.registry import build_connectors

log = structlog.get_logger(__name__)


def _load_everything(
    settings: Settings, env: Mapping[str, str]
) -> tuple[Configuration, LoadedKeys]:
    """Configuration files and keys, with the problems of both reported together."""
    problems: list[str] = []
    config = None
    try:
        config = load_configuration(settings, env)
    except ConfigError as exc:
        problems += exc.problems
    keys = load_keys(settings)  # key settings, files, encryption and refusals
    problems += keys.problems
    if problems or config is None:
        raise ConfigError("start-up", problems)
    return config, keys


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    backend: KeyValueBackend | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    audit: AuditTrail | None = None,
    key_ticker: Ticker | None = None,
) -> FastAPI:
    clock = clock or SystemClock()
    config, loaded_keys = _load_everything(settings, os.environ if env is None else env)
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
    audit = audit or default_trail(backend, clock, config.clients)
    consent_memory = ConsentMemory(
        stores=stores,
        clock=clock,
        audit=audit,
        pairwise_salt=settings.pairwise_salt.get_secret_value(),
        remember_for=settings.consent_memory_ttl,
    )
    accounts = AccountSignIn(
        stores=stores,
        clock=clock,
        connectors=connectors,
        memory=consent_memory,
        upstream="iamsmart",
        flow_ttl=settings.flow_ttl,
        session_ttl=settings.account_session_ttl,
    )

    metrics = BridgeMetrics()
    key_ring = KeyRing(
        loaded_keys,
        clock=clock,
        backend=backend,
        development=settings.development,
        metrics=metrics,
    )
    current_keys = key_ring.current  # this instance's key set, refreshed in the background
    keyset = current_keys()

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
        audit=audit,
        consents=consent_memory,
        accounts=accounts,
    )
    oauth = build_oauth(
        settings, config, stores=stores, keys=current_keys, http=http, clock=clock, audit=audit
    )
    services = Services(
        settings=settings,
        clock=clock,
        clients=config.clients,
        keys=current_keys,
        stores=stores,
        mapper=mapper,
        connectors=connectors,
        broker=broker,
        pages=Pages(),
        discovery=openid_configuration(
            settings.issuer,
            scopes=broker.supported_scopes,
            claims=mapper.claims,
            signing_algs=list(
                dict.fromkeys([settings.keys_algorithm, *(k.alg for k in keyset.all)])
            ),
            acr_values=("L2", "L3"),
            grant_types=oauth.token_endpoint.grant_types,
            client_assertion_algs=oauth.client_assertion_algorithms,
        ),
        audit=audit,
        accounts=accounts,
        key_ring=key_ring,
        metrics=metrics,
        oauth=oauth,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "bridge.started",
            issuer=settings.issuer,
            env=settings.env,
            store="redis" if settings.redis_url else "memory",
            kid=current_keys().active.kid,
        )
        refresher = asyncio.create_task(key_ring.run(key_ticker or SleepingTicker()))
        yield
        refresher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await refresher
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
    for router in (
        metadata.router,
        signin.router,
        consents.router,
        error_page.router,
        health.router,
    ):
        app.include_router(router)
    app.include_router(metrics_route.router)
    install_error_handlers(app, services.pages, settings.issuer)
    app.add_middleware(ApiEndpoints, services=services)  # token, introspect, revoke, userinfo
    app.add_middleware(
        RequestContextMiddleware,
        on_error=lambda request, error: render_error(
            request, error, services.pages, settings.issuer
        ),
    )
    return app
