"""Everything a request handler may use, built once by `create_app` (the composition
root) and reached through `request.app.state.services`."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bridge.audit import AuditTrail
from bridge.broker import Broker
from bridge.claims.mapper import ClaimMapper
from bridge.clock import Clock
from bridge.consent.account import AccountSignIn
from bridge.http.pages import Pages
from bridge.metrics import BridgeMetrics
from bridge.oauth import OAuthServices
from bridge.provider.clients import ClientRegistry
from bridge.settings import Settings
from bridge.signing.keyset import KeySet
from bridge.signing.ring import KeyRing
from bridge.store.records import Stores
from bridge.upstream.base import Connector


@dataclass
class Services:
    settings: Settings
    clock: Clock
    clients: ClientRegistry
    keys: Callable[[], KeySet]
    stores: Stores
    mapper: ClaimMapper
    connectors: Mapping[str, Connector]
    broker: Broker
    pages: Pages
    discovery: dict[str, Any]
    audit: AuditTrail
    accounts: AccountSignIn
    key_ring: KeyRing
    metrics: BridgeMetrics
    oauth: OAuthServices
