"""Building the session and logout services (called by `bridge.core`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from bridge.browser import BrowserIds
from bridge.clock import Clock
from bridge.logout.deliveries import BackChannelLogout, DeliveryQueue, RetryPolicy
from bridge.logout.rp_initiated import EndSession, LogoutRecords
from bridge.logout.sessions import Sessions
from bridge.metrics import BridgeMetrics
from bridge.provider.clients import ClientRegistry
from bridge.settings import Settings
from bridge.signing.ring import KeyRing
from bridge.store.backend import KeyValueBackend
from bridge.store.records import Grants
from bridge.store.sealing import Sealer
from bridge.store.sessions import SessionStore
from bridge.tokens.issuer import TokenIssuer
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.upstream.base import Connector


@dataclass(frozen=True)
class LogoutServices:
    sessions: Sessions
    """What ends sessions: `end(sid, reason)`, `end_browser(browser, reason)`."""
    backchannel: BackChannelLogout
    end_session: EndSession


def build_logout(
    settings: Settings,
    *,
    browser_ids: BrowserIds,
    backend: KeyValueBackend,
    sealer: Sealer,
    clock: Clock,
    grants: Grants,
    clients: ClientRegistry,
    key_ring: KeyRing,
    connectors: Mapping[str, Connector],
    http: httpx.AsyncClient,
    metrics: BridgeMetrics,
) -> LogoutServices:
    backchannel = BackChannelLogout(
        queue=DeliveryQueue(backend, sealer, clock),
        clients=clients,
        tokens=TokenIssuer(settings.issuer, key_ring.current, clock),
        http=http,
        clock=clock,
        policy=RetryPolicy(
            timeout=settings.backchannel_timeout,
            retry_base=settings.backchannel_retry_base,
            max_attempts=settings.backchannel_max_attempts,
        ),
        metrics=metrics,
    )
    sessions = Sessions(
        store=SessionStore(backend, sealer, clock),
        grants=grants,
        backchannel=backchannel,
        backend=backend,
        clock=clock,
        ttl=settings.session_ttl,
        metrics=metrics,
    )
    end_session = EndSession(
        issuer=settings.issuer,
        clients=clients,
        verifier=AccessTokenVerifier(settings.issuer, key_ring.current, clock),
        sessions=sessions,
        records=LogoutRecords(backend, sealer, clock),
        connectors=connectors,
        clock=clock,
        browser_ids=browser_ids,
    )
    return LogoutServices(sessions=sessions, backchannel=backchannel, end_session=end_session)
