"""The bridge's core, built once and framework-free: configuration and keys, the store,
the upstream connectors, the claim mappers, consent and audit, the sign-in steps and the
OAuth services. `bridge.app` puts HTTP in front of it; a CLI command or a test may use
it without any web framework.

Nothing is built at import, so tests build cores with their own settings, clock, store
and HTTP client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import httpx

from bridge.audit.factory import default_trail
from bridge.audit.trail import AuditTrail
from bridge.browser import BrowserIds
from bridge.claims.directions import Directions
from bridge.clock import Clock, SystemClock
from bridge.configuration import Configuration, load_configuration
from bridge.consent.memory import ConsentMemory
from bridge.durable.database import Database
from bridge.durable.wiring import durable_records
from bridge.errors import ConfigError
from bridge.logout.sessions import Sessions
from bridge.logout.wiring import LogoutServices, build_logout
from bridge.metrics import BridgeMetrics
from bridge.oauth import OAuthServices, build_oauth
from bridge.provider.clients import ClientRegistry
from bridge.provider.code_ending import CodeRedirect
from bridge.provider.codes import CodeIssuer
from bridge.provider.device_ending import DeviceApproval
from bridge.provider.discovery import openid_configuration
from bridge.provider.registration import Registration
from bridge.registration_setup import build_registration
from bridge.settings import Settings
from bridge.signin.account import AccountSignIns
from bridge.signin.callbacks import Completer, UpstreamCallback
from bridge.signin.client import ClientSignIns, SubjectPolicy
from bridge.signin.consent import ConsentStep
from bridge.signin.device import DeviceSignIns
from bridge.signin.device_guesses import DeviceGuesses, GuessLimits
from bridge.signin.endings import Endings
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.signing.ring import KeyRing, LoadedKeys, load_keys
from bridge.store.backend import KeyValueBackend
from bridge.store.devices import DeviceStore
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.redis import RedisBackend
from bridge.store.sealing import Sealer
from bridge.throttle import Throttle
from bridge.upstream.base import Connector
from bridge.upstream.registry import build_connectors

ACR_VALUES = ("L1", "L2", "L3")
"""The assurance levels sign-ins can carry (both directions use the L0–L3 scale)."""


@dataclass(frozen=True)
class SignInSteps:
    """The browser-facing steps of signing in."""

    clients: ClientSignIns
    callback: UpstreamCallback
    consent: ConsentStep
    accounts: AccountSignIns
    devices: DeviceSignIns
    """The resident's side of a kiosk sign-in (RFC 8628), on their phone."""
    flows: UpstreamFlows
    """Round trips upstream (the same-device page sends a waiting one on its way)."""


@dataclass
class Core:
    settings: Settings
    clock: Clock
    backend: KeyValueBackend
    clients: ClientRegistry
    connectors: Mapping[str, Connector]
    directions: Directions
    upstream_types: Mapping[str, str]
    audit: AuditTrail
    key_ring: KeyRing
    metrics: BridgeMetrics
    signin: SignInSteps
    oauth: OAuthServices
    registration: Registration | None
    """Dynamic Client Registration (RFC 7591), when enabled."""
    discovery: dict[str, Any]
    http: httpx.AsyncClient
    owns_http: bool
    logout: LogoutServices
    """Bridge sessions and logout; `logout.sessions` ends a session (kiosk "Finish")."""
    database: Database | None = None
    """PostgreSQL, when durable records live there (`BRIDGE_DATABASE_URL`)."""

    async def aclose(self) -> None:
        for connector in self.connectors.values():
            await connector.aclose()
        if self.owns_http:
            await self.http.aclose()
        await self.backend.aclose()
        if self.database is not None:
            await self.database.aclose()


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


def _sign_in_steps(
    settings: Settings,
    config: Configuration,
    *,
    stores: Stores,
    connectors: Mapping[str, Connector],
    directions: Directions,
    audit: AuditTrail,
    clock: Clock,
    browser_ids: BrowserIds,
    devices: DeviceStore,
    sessions: Sessions,
    throttle: Throttle,
) -> SignInSteps:
    salt = settings.pairwise_salt.get_secret_value()
    memory = ConsentMemory(
        consents=stores.consents,
        grants=stores.grants,
        clock=clock,
        audit=audit,
        pairwise_salt=salt,
        remember_for=settings.consent_memory_ttl,
        on_withdrawn=sessions.client_withdrawn,
    )
    codes = CodeIssuer(
        issuer=settings.issuer,
        grants=stores.grants,
        codes=stores.codes,
        clock=clock,
        code_ttl=settings.code_ttl,
        grant_ttl=settings.access_token_ttl,
    )
    approval = DeviceApproval(
        devices=devices,
        grants=stores.grants,
        clock=clock,
        code_ttl=settings.device_code_ttl,
        token_ttl=settings.kiosk_token_ttl,
    )
    endings = Endings({CodeRedirect.kind: CodeRedirect(codes), DeviceApproval.kind: approval})
    flows = UpstreamFlows(
        connectors=connectors,
        flows=stores.flows,
        clock=clock,
        flow_ttl=settings.flow_ttl,
        browser_ids=browser_ids,
        throttle=throttle,
    )
    consent = ConsentStep(
        clients=config.clients,
        interactions=stores.interactions,
        memory=memory,
        endings=endings,
        audit=audit,
        sessions=sessions,
    )
    clients = ClientSignIns(
        clients=config.clients,
        flows=flows,
        upstream_types=config.upstream_types,
        directions=directions,
        consent=consent,
        endings=endings,
        policy=SubjectPolicy(pairwise_salt=salt, consent_ttl=settings.consent_ttl),
        clock=clock,
    )
    accounts = AccountSignIns(
        flows=flows,
        sessions=stores.accounts,
        memory=memory,
        upstreams=tuple(connectors),
        clock=clock,
        session_ttl=settings.account_session_ttl,
    )
    completers: dict[str, Completer] = {"client": clients, "account": accounts, "device": clients}
    callback = UpstreamCallback(flows=flows, completers=completers)
    guesses = DeviceGuesses(
        stores.backend,
        GuessLimits(
            per_browser=settings.device_guesses_per_browser,
            per_address=settings.device_guesses_per_address,
            window=settings.device_guess_window,
        ),
    )
    kiosks = DeviceSignIns(
        devices=devices,
        clients=config.clients,
        signins=clients,
        flows=flows,
        guesses=guesses,
        clock=clock,
        csrf_secret=settings.store_key.get_secret_value(),
    )
    return SignInSteps(
        clients=clients,
        callback=callback,
        consent=consent,
        accounts=accounts,
        devices=kiosks,
        flows=flows,
    )


def _purpose_of(clients: ClientRegistry, client_id: str) -> str | None:
    """What the audit trail records as the purpose of a release to this client."""
    client = clients.get(client_id)
    return client.purpose.en if client is not None else None


def build_core(
    settings: Settings,
    *,
    clock: Clock | None = None,
    backend: KeyValueBackend | None = None,
    http: httpx.AsyncClient | None = None,
    env: Mapping[str, str] | None = None,
    audit: AuditTrail | None = None,
) -> Core:
    clock = clock or SystemClock()
    config, loaded_keys = _load_everything(settings, os.environ if env is None else env)
    if backend is None:
        backend = (
            RedisBackend.from_url(settings.redis_url, settings.redis_options())
            if settings.redis_url
            else MemoryBackend(clock)
        )
    sealer = Sealer(settings.store_key.get_secret_value())
    durable = durable_records(
        settings.database_url, Stores.build(backend, sealer, clock), sealer, clock
    )
    stores = durable.stores
    devices = DeviceStore(backend, sealer, clock)
    owns_http = http is None
    http = http or httpx.AsyncClient(timeout=settings.upstream_timeout)
    connectors = build_connectors(config.upstreams, http=http, clock=clock)
    directions = Directions(config.rules)
    audit = audit or default_trail(
        backend, clock, partial(_purpose_of, config.clients), log=durable.audit_log
    )
    metrics = BridgeMetrics()
    throttle = Throttle(
        backend,
        settings.rate_limits(),
        on_limited=lambda name: metrics.rate_limited.labels(limit=name).inc(),
    )
    key_ring = KeyRing(
        loaded_keys,
        clock=clock,
        backend=backend,
        development=settings.development,
        metrics=metrics,
    )
    # One issuer of browser ids for every step that binds a browser (sign-in, logout).
    browser_ids = BrowserIds(settings.store_key.get_secret_value())
    logout = build_logout(
        settings,
        browser_ids=browser_ids,
        backend=backend,
        sealer=sealer,
        clock=clock,
        grants=stores.grants,
        clients=config.clients,
        key_ring=key_ring,
        connectors=connectors,
        http=http,
        metrics=metrics,
    )
    signin = _sign_in_steps(
        settings,
        config,
        stores=stores,
        connectors=connectors,
        directions=directions,
        audit=audit,
        clock=clock,
        browser_ids=browser_ids,
        devices=devices,
        sessions=logout.sessions,
        throttle=throttle,
    )
    oauth = build_oauth(
        settings,
        config,
        stores=stores,
        keys=key_ring.current,
        http=http,
        clock=clock,
        audit=audit,
        devices=devices,
        on_grant_revoked=logout.sessions.grant_revoked,
        throttle=throttle,
    )
    registration = build_registration(
        settings,
        config,
        directions=directions,
        scopes=signin.clients.supported_scopes,
        backend=backend,
        sealer=sealer,
        clock=clock,
        clients=durable.clients,
    )
    discovery = openid_configuration(
        settings.issuer,
        scopes=signin.clients.supported_scopes,
        claims=directions.claims,
        signing_algs=settings.enabled_algorithms,
        acr_values=ACR_VALUES,
        grant_types=oauth.token_endpoint.grant_types,
        client_assertion_algs=oauth.client_assertion_algorithms,
        registration=registration is not None,
        device_authorization=True,
    )
    return Core(
        settings=settings,
        clock=clock,
        backend=backend,
        clients=config.clients,
        connectors=connectors,
        directions=directions,
        upstream_types=config.upstream_types,
        audit=audit,
        key_ring=key_ring,
        metrics=metrics,
        signin=signin,
        oauth=oauth,
        registration=registration,
        discovery=discovery,
        http=http,
        owns_http=owns_http,
        logout=logout,
        database=durable.database,
    )
