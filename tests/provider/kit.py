"""The provider's back channel, built in-process the way `bridge.core` builds it
(`bridge.oauth.build_oauth`), on the memory store with a manual clock: the fast core
layer's fixture. No servers, no network: a client's registration, an issued code and a
token request are plain values and calls.

A grant is made the way the bridge makes one after consent: `CodeIssuer.issue` on a
`PendingConsent` (what the consent step hands the code ending).
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.log import MemoryAuditLog
from bridge.clock import ManualClock
from bridge.configuration import Configuration
from bridge.model import (
    ClientRequest,
    CodeEnding,
    DeviceEnding,
    Ending,
    LocalizedText,
    PendingConsent,
)
from bridge.oauth import OAuthServices, build_oauth
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.codes import CodeIssuer
from bridge.provider.device_ending import DeviceApproval
from bridge.provider.token_exchange_config import ExchangeConfig
from bridge.settings import Settings
from bridge.signing.keys import new_signing_key
from bridge.signing.keyset import KeySet
from bridge.store.devices import DeviceStore, device_key
from bridge.store.memory import MemoryBackend
from bridge.store.records import Stores
from bridge.store.sealing import Sealer
from bridge.throttle import CLIENT_AUTH, REDEMPTION, SIGN_IN, Limit, Throttle
from bridge.wire import GRANT_DEVICE_CODE

NOW = 1_800_000_000.0
ISSUER = "https://bridge.test"
REDIRECT = "https://portal.test/callback"
TEXT = LocalizedText.model_validate({"en": "T", "zh-Hant": "T", "zh-Hans": "T"})
_ES256 = new_signing_key("ES256", created_at=NOW, development=True)
_ED25519 = new_signing_key("Ed25519", created_at=NOW, development=True)
KEYS = KeySet(active=_ES256, others=(_ED25519,), signers={"ES256": _ES256, "Ed25519": _ED25519})
"""Cheap keys: ES256 signs by default (and for clients registered for RS256, which has
no key here), Ed25519 for a client that registered it."""

RATE_LIMITS_OFF = {name: Limit(0, 60) for name in (CLIENT_AUTH, REDEMPTION, SIGN_IN)}
"""A limit of 0 is off: the rules under test, not the throttle (tests/hardening has it)."""


def secret_sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def make_client(client_id: str = "portal", **fields: Any) -> Client:
    """A registered client; its secret is `<client_id>-secret`."""
    text = TEXT.model_dump(by_alias=True)
    values: dict[str, Any] = {
        "client_id": client_id,
        "name": text,
        "purpose": text,
        "jurisdiction": text,
        "client_secret_sha256": secret_sha256(f"{client_id}-secret"),
        "redirect_uris": [REDIRECT],
        "allowed_scopes": ["openid", "profile"],
        "upstreams": ["iamsmart"],
        "downstream": "guangdong",
        "development": True,
    }
    values.update(fields)
    return Client.model_validate(values)


def kiosk_client(client_id: str = "kiosk", **fields: Any) -> Client:
    """A kiosk (RFC 8628): polls the token endpoint, never gets a redirect."""
    location = {"location": TEXT.model_dump(by_alias=True)}
    return make_client(
        client_id, redirect_uris=[], grant_types=[GRANT_DEVICE_CODE], kiosk=location, **fields
    )


def offline_client(client_id: str = "offline-portal", **fields: Any) -> Client:
    scopes = fields.pop("allowed_scopes", ["openid", "profile", "offline_access"])
    return make_client(client_id, allowed_scopes=scopes, **fields)


def verifier_and_challenge() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass
class IssuedCode:
    code: str
    verifier: str
    grant_id: str
    client_id: str
    challenge: str
    redirect_uri: str = REDIRECT


@dataclass
class Provider:
    clock: ManualClock
    stores: Stores
    oauth: OAuthServices
    clients: ClientRegistry
    audit_log: MemoryAuditLog
    codes: CodeIssuer
    http: httpx.AsyncClient
    settings: Settings
    devices: DeviceStore
    _issued: list[IssuedCode] = field(default_factory=list)

    def client(self, client_id: str) -> Client:
        found = self.clients.get(client_id)
        assert found is not None
        return found

    def consented(
        self, client_id: str, scopes: tuple[str, ...], ending: Ending, subject: str
    ) -> PendingConsent:
        """What the consent step hands an ending once the resident allowed the release."""
        return PendingConsent(
            interaction_id=secrets.token_urlsafe(8),
            request=ClientRequest(client_id=client_id, scopes=scopes),
            ending=ending,
            upstream="iamsmart",
            browser_binding="b" * 64,
            csrf_token="c",
            subject=subject,
            claims={"name": "Chan Tai Man"},
            acr="L2",
            auth_time=int(self.clock.now()),
            expires_at=self.clock.now() + 600,
            upstream_idp="iamsmart",
            upstream_subject="openid-1",
        )

    async def code_for(
        self,
        client_id: str,
        scopes: tuple[str, ...] = ("openid", "profile"),
        *,
        subject: str = "pairwise-sub-1",
        nonce: str | None = "n-1",
    ) -> IssuedCode:
        """An authorization code as the bridge issues it once the resident consented."""
        verifier, challenge = verifier_and_challenge()
        ending = CodeEnding(
            redirect_uri=REDIRECT, state="st", nonce=nonce, code_challenge=challenge
        )
        pending = self.consented(client_id, scopes, ending, subject)
        issued = await self.codes.issue(pending)
        code = parse_qs(urlsplit(issued.location).query)["code"][0]
        return IssuedCode(code, verifier, issued.grant_id, client_id, challenge)

    async def kiosk_tokens(
        self, client_id: str, *, subject: str = "pairwise-sub-1"
    ) -> tuple[dict[str, Any], str]:
        """A kiosk's tokens and their grant id, once a phone approved its sign-in: the
        phone's claim on the user code is written the way `/device` writes it, the
        approval is `DeviceApproval`'s."""
        started = await self.oauth.device.authorize(self.client(client_id), {"scope": "openid"})
        k = device_key(started["device_code"])
        assert k is not None
        found = await self.devices.device(k)
        assert found is not None
        claimed = found.record.model_copy(update={"claim_id": "claim-1", "claimed_by": "b" * 64})
        assert await self.devices.replace(k, found, claimed)
        approval = DeviceApproval(
            devices=self.devices,
            grants=self.stores.grants,
            clock=self.clock,
            code_ttl=self.settings.device_code_ttl,
            token_ttl=self.settings.kiosk_token_ttl,
        )
        ending = DeviceEnding(device_key=k, claim_id="claim-1")
        pending = self.consented(client_id, ("openid",), ending, subject)
        allowed = await approval.allow(pending)
        tokens = await self.token(
            client_id, grant_type=GRANT_DEVICE_CODE, device_code=started["device_code"]
        )
        return tokens, allowed.grant_id

    async def token(self, client_id: str, **form: str) -> dict[str, Any]:
        """A token request by an (already authenticated) client."""
        return await self.oauth.token_endpoint.grant(self.client(client_id), form)

    async def redeem(self, issued: IssuedCode, **overrides: str) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": issued.code,
            "redirect_uri": issued.redirect_uri,
            "code_verifier": issued.verifier,
        }
        form.update(overrides)
        client_id = form.pop("as_client", issued.client_id)
        return await self.token(client_id, **form)

    async def refresh(self, client_id: str, refresh_token: str, **form: str) -> dict[str, Any]:
        return await self.token(
            client_id, grant_type="refresh_token", refresh_token=refresh_token, **form
        )

    async def aclose(self) -> None:
        await self.http.aclose()


def _refuse_network(request: httpx.Request) -> httpx.Response:
    raise AssertionError(f"a unit test must not reach {request.url.host}")


def build_provider(
    *clients: Client,
    exchange: ExchangeConfig | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    **settings: Any,
) -> Provider:
    clock = ManualClock(NOW)
    values: dict[str, Any] = {"env": "development", "issuer": ISSUER, **settings}
    config_settings = Settings(**values)
    backend = MemoryBackend(clock)
    sealer = Sealer("unit-test-store-key-" + "k" * 32)
    stores = Stores.build(backend, sealer, clock)
    registry = ClientRegistry({c.client_id: c for c in clients})
    devices = DeviceStore(backend, sealer, clock)
    audit_log = MemoryAuditLog()
    http = httpx.AsyncClient(transport=transport or httpx.MockTransport(_refuse_network))
    oauth = build_oauth(
        config_settings,
        Configuration(
            clients=registry, upstreams={}, rules=(), exchange=exchange or ExchangeConfig()
        ),
        stores=stores,
        keys=lambda: KEYS,
        http=http,
        clock=clock,
        audit=HashChainAuditTrail(audit_log, clock),
        devices=devices,
        throttle=Throttle(backend, RATE_LIMITS_OFF),
    )
    codes = CodeIssuer(
        issuer=ISSUER,
        grants=stores.grants,
        codes=stores.codes,
        clock=clock,
        code_ttl=config_settings.code_ttl,
        grant_ttl=config_settings.access_token_ttl,
    )
    return Provider(
        clock, stores, oauth, registry, audit_log, codes, http, config_settings, devices
    )
