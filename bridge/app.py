"""The composition root: `create_app(settings)` builds the core once (`bridge.core`) and
puts HTTP in front of it. Each route module receives only the components it uses.
Nothing is built at import, so tests build apps with their own settings, clock, store
and HTTP client."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import httpx
import structlog
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bridge import __version__
from bridge.audit.trail import AuditTrail
from bridge.clock import Clock
from bridge.core import Core, build_core
from bridge.http.answers import CookiePolicy
from bridge.http.api import ApiEndpoints
from bridge.http.consents_page import ConsentsPage
from bridge.http.device_pages import DevicePages
from bridge.http.documents import StaticDocuments
from bridge.http.errors import install_error_handlers, render_error, unhandled_error
from bridge.http.middleware import RequestContextMiddleware
from bridge.http.pages import Pages
from bridge.http.routes.consents import consents_routes
from bridge.http.routes.device import device_routes
from bridge.http.routes.error_page import error_routes
from bridge.http.routes.health import health_routes
from bridge.http.routes.logout import logout_routes
from bridge.http.routes.metrics import metrics_routes
from bridge.http.routes.same_device import same_device_routes
from bridge.http.routes.signin import signin_routes
from bridge.http.views import ConsentPages
from bridge.metrics import BridgeMetrics
from bridge.settings import Settings
from bridge.signing.ring import SleepingTicker, Ticker
from bridge.store.backend import KeyValueBackend

log = structlog.get_logger(__name__)


def _cookies(settings: Settings) -> CookiePolicy:
    # One cookie serves client sign-ins and the resident's own (/consents).
    max_age = settings.flow_ttl + max(settings.consent_ttl, settings.account_session_ttl)
    return CookiePolicy(max_age=max_age, secure=settings.secure_cookies)


def _routes(app: FastAPI, core: Core, pages: Pages) -> None:
    settings, cookies = core.settings, _cookies(core.settings)
    consent_pages = ConsentPages(
        signins=core.signin.clients,
        connectors=core.connectors,
        pages=pages,
        remember_days=settings.consent_memory_ttl // 86400,
        offline_days=max(1, settings.refresh_token_absolute_ttl // 86400),
    )
    consents_page = ConsentsPage(clients=core.clients, directions=core.directions, pages=pages)
    for router in (
        signin_routes(core.signin, consent_pages, pages, cookies),
        consents_routes(core.signin.accounts, consents_page, pages, cookies),
        device_routes(
            core.signin.devices, DevicePages(pages, cookies, core.signin.flows.browser_ids)
        ),
        same_device_routes(core.signin.flows, pages, cookies),
        logout_routes(core.logout.end_session, pages, cookies),
        error_routes(pages),
        health_routes(
            core.backend, core.key_ring, 3 * settings.keys_refresh_interval, core.database
        ),
    ):
        app.include_router(router)
    if settings.metrics_public:  # otherwise on its own listener only (metrics_app)
        app.include_router(metrics_routes(core.metrics))


class BridgeApp(FastAPI):
    """FastAPI, with discovery, RFC 8414 metadata and the JWKS answered before any of its
    middleware (http/documents.py says why), and the API endpoints (http/api.py) behind
    only their request context: FastAPI's per-request telemetry check, Starlette's
    error middleware and FastAPI's body limit do nothing for them (their forms are
    capped where read, RequestContextMiddleware answers what they raise); without
    them, CPU per request ×0.90 for token exchange and introspection (`bench.ab`, 10
    interleaved rounds, bench/README.md)."""

    documents: StaticDocuments | None = None
    api: ApiEndpoints | None = None
    api_in_context: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.documents is not None and await self.documents.answer(scope, send):
            return
        if self.api_in_context is not None and self.api is not None and self.api.route(scope):
            await self.api_in_context(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def _logout_workers(core: Core) -> list[asyncio.Task[None]]:
    """Back-channel logout deliveries and session expiry, from queues in the store."""
    poll = core.settings.backchannel_poll_interval
    return [
        asyncio.create_task(core.logout.backchannel.run(poll)),
        asyncio.create_task(core.logout.sessions.run_expiries(poll * 10)),
    ]


def build_app(core: Core, *, key_ticker: Ticker | None = None) -> FastAPI:
    settings = core.settings

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        log.info(
            "bridge.started",
            issuer=settings.issuer,
            env=settings.env,
            store="redis" if settings.redis_url else "memory",
            kid=core.key_ring.current().active.kid,
        )
        tasks = [asyncio.create_task(core.key_ring.run(key_ticker or SleepingTicker()))]
        if core.registration is not None:  # registered clients, re-read from the store
            interval = settings.registration_refresh_interval
            tasks.append(asyncio.create_task(core.registration.run(SleepingTicker(), interval)))
        tasks += _logout_workers(core)
        yield
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await core.aclose()

    app = BridgeApp(
        title="GBA identity bridge",
        version=__version__,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.documents = StaticDocuments(
        discovery=core.discovery,
        keys=core.key_ring.current,
        jwks_max_age=core.key_ring.policy.jwks_max_age,
        metrics=core.metrics,
    )
    app.state.core = core  # for tests and operators' tooling; routes never reach for it
    pages = Pages()
    _routes(app, core, pages)
    install_error_handlers(app, pages, settings.issuer)

    def on_error(request: Request, exc: Exception) -> Response:
        return render_error(request, unhandled_error(exc), pages, settings.issuer)

    # token, introspect, revoke, userinfo; register when enabled
    app.api = ApiEndpoints(app.router, oauth=core.oauth, registration=core.registration)
    app.api_in_context = RequestContextMiddleware(app.api, on_error=on_error)
    app.add_middleware(RequestContextMiddleware, on_error=on_error)
    return app


def metrics_app(metrics: BridgeMetrics) -> FastAPI:
    """The metrics listener's app: /metrics and nothing else, so a port reachable by
    Prometheus exposes no sign-in or token endpoint."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(metrics_routes(metrics))
    return app


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
    core = build_core(settings, clock=clock, backend=backend, http=http, env=env, audit=audit)
    return build_app(core, key_ticker=key_ticker)
