"""The sign-in flow across the boundary: where the provider side and the upstream side
meet (SATOSA's frontend → backend → frontend), through the neutral types of `model.py`.

    /authorize ─▶ start() ─▶ upstream IdP ─▶ upstream_callback() ─▶ consent page
                                                                      │
                     client redirect_uri ◀── decide() ◀───────────────┘

Each step takes its state from the store atomically, and every step checks that the
browser is the one that started the flow (a cookie whose digest the flow state holds).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import structlog

from bridge.audit import AuditTrail
from bridge.claims.mapper import ClaimMapper
from bridge.claims.policy import release_set
from bridge.clock import Clock
from bridge.errors import (
    AccessDeniedError,
    InvalidRequestError,
    OAuthError,
    UpstreamError,
)
from bridge.model import (
    FlowState,
    PendingConsent,
    UpstreamAuthRequest,
)
from bridge.provider.authorize import parse_authorization_request
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.codes import CodeIssuer
from bridge.provider.subject import pairwise_subject
from bridge.provider.upstream_errors import client_error
from bridge.store.records import Stores
from bridge.upstream.base import Connector
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID


def account_state(state: str) -> bool:
    """A resident's own sign-in (bridge.consent.account) uses 36-character states;
    sign-ins for clients use 32 (`start`)."""
    return len(state) == 36


if TYPE_CHECKING:  # both import Browser and Redirect from here
    from bridge.consent.account import AccountSignIn
    from bridge.consent.memory import ConsentMemory

log = structlog.get_logger(__name__)

_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")


@dataclass(frozen=True, slots=True)
class Browser:
    browser_id: str | None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Redirect:
    location: str
    browser_id: str | None = None
    """A new browser id to set as a cookie, when the browser had none."""


@dataclass(frozen=True, slots=True)
class BrokerPolicy:
    issuer: str
    pairwise_salt: str
    flow_ttl: int
    consent_ttl: int
    code_ttl: int
    grant_ttl: int


def _binding(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


def _page_error(message_key: str, description: str, detail: str | None = None) -> OAuthError:
    return InvalidRequestError(description, detail=detail, message_key=message_key)


def _require_same_browser(browser: Browser, binding: str, step: str) -> None:
    """Login CSRF guard: a step may only be completed by the browser that started it."""
    same = browser.browser_id is not None and hmac.compare_digest(
        _binding(browser.browser_id), binding
    )
    if not same:
        raise _page_error(
            "error_browser_mismatch",
            "The sign-in was started in another browser",
            detail=f"browser binding mismatch at {step}",
        )


def _require_client(clients: ClientRegistry, client_id: str) -> Client:
    """The client may have been removed from the configuration since the flow began."""
    client = clients.get(client_id)
    if client is None:
        raise _page_error("error_unknown_client", "Unknown client")
    return client


class Broker:
    def __init__(
        self,
        *,
        policy: BrokerPolicy,
        clients: ClientRegistry,
        connectors: Mapping[str, Connector],
        mapper: ClaimMapper,
        stores: Stores,
        clock: Clock,
        audit: AuditTrail,
        consents: ConsentMemory | None = None,
        accounts: AccountSignIn | None = None,
    ) -> None:
        self._consents = consents
        self._accounts = accounts
        self._policy = policy
        self._clients = clients
        self._connectors = connectors
        self._mapper = mapper
        self._stores = stores
        self._clock = clock
        self._audit = audit
        self._codes = CodeIssuer(
            issuer=policy.issuer,
            stores=stores,
            clock=clock,
            code_ttl=policy.code_ttl,
            grant_ttl=policy.grant_ttl,
        )

    @property
    def supported_scopes(self) -> frozenset[str]:
        return frozenset({SCOPE_OPENID, SCOPE_OFFLINE_ACCESS, *self._mapper.scopes})

    async def start(self, params: Iterable[tuple[str, str]], browser: Browser) -> Redirect:
        client, request = parse_authorization_request(
            params, self._clients, supported_scopes=self.supported_scopes
        )
        connector = self._connectors[client.upstream]
        released = release_set(client.allowed_claims, request.scopes, self._mapper)
        new_browser_id = None
        browser_id = browser.browser_id
        if browser_id is None or not _BROWSER_ID.match(browser_id):
            browser_id = new_browser_id = secrets.token_urlsafe(32)
        flow = FlowState(
            flow_id=secrets.token_urlsafe(24),  # 32 chars: iAM Smart allows ≤ 36 [A-Za-z0-9_-]
            request=request,
            upstream=connector.name,
            upstream_fields=self._mapper.source_fields(released, client_id=client.client_id),
            released_claims=tuple(sorted(released)),
            browser_binding=_binding(browser_id),
            user_agent=(browser.user_agent or "")[:512] or None,
            expires_at=self._clock.now() + self._policy.flow_ttl,
        )
        await self._stores.flows.put(flow)
        log.info("signin.started", client_id=client.client_id, upstream=connector.name)
        location = connector.authorization_url(self._upstream_request(flow))
        return Redirect(location, browser_id=new_browser_id)

    @staticmethod
    def _upstream_request(flow: FlowState) -> UpstreamAuthRequest:
        return UpstreamAuthRequest(
            state=flow.flow_id,
            ui_locales=flow.request.ui_locales,
            user_agent=flow.user_agent,
            fields=flow.upstream_fields,
        )

    async def upstream_callback(
        self, upstream: str, params: Mapping[str, str], browser: Browser
    ) -> Redirect:
        connector = self._connectors.get(upstream)
        if connector is None:
            raise _page_error("error_unknown_upstream", "Unknown identity provider")
        state = connector.callback_state(params)
        if state and self._accounts is not None and account_state(state):
            return await self._accounts.complete(connector, state, params, browser)
        flow = await self._stores.flows.take(state) if state else None
        if flow is None or flow.upstream != upstream:
            raise _page_error("error_flow_expired", "The sign-in has expired or was completed")
        _require_same_browser(browser, flow.browser_binding, "the upstream callback")
        client = _require_client(self._clients, flow.request.client_id)
        try:
            identity = await connector.complete(params, self._upstream_request(flow))
        except UpstreamError as failure:
            raise client_error(failure, flow.request) from failure
        now = self._clock.now()
        claims = self._mapper.map(identity, set(flow.released_claims), client_id=client.client_id)
        session = self._mapper.map(
            identity, self._mapper.session_claims, client_id=client.client_id
        )
        pending = PendingConsent(
            interaction_id=secrets.token_urlsafe(24),
            request=flow.request,
            upstream=upstream,
            browser_binding=flow.browser_binding,
            csrf_token=secrets.token_urlsafe(32),
            subject=pairwise_subject(
                self._policy.pairwise_salt,
                sector=client.sector,
                idp=identity.idp,
                upstream_subject=identity.subject,
            ),
            claims=claims,
            acr=session.get("acr"),
            auth_time=int(now),
            expires_at=now + self._policy.consent_ttl,
            upstream_idp=identity.idp,
            upstream_subject=identity.subject,
        )
        if self._consents is not None:
            resident = self._consents.resident(identity.idp, identity.subject)
            earlier = await self._consents.covering(resident, client.client_id, claims.keys())
            if earlier is not None:
                return await self._reuse_consent(pending, resident, earlier.expires_at)
        await self._stores.interactions.put(pending)
        log.info("signin.upstream_completed", client_id=client.client_id, subject=pending.subject)
        return Redirect(f"/consent/{pending.interaction_id}")

    async def _reuse_consent(
        self, pending: PendingConsent, resident: str, remembered_until: float
    ) -> Redirect:
        """The resident allowed these claims to this client before and asked the bridge
        to remember it: no page, but an audit record naming the earlier decision."""
        assert self._consents is not None  # noqa: S101 - only called when consents exist
        request = pending.request
        await self._audit.consent_decided(
            subject=pending.subject,
            client_id=request.client_id,
            claims=pending.claims.keys(),
            allowed=True,
            remembered_until=remembered_until,
            reused=True,
        )
        issued = await self._codes.issue(pending)
        await self._consents.add_grant(resident, request.client_id, issued.grant_id)
        log.info("signin.consent_remembered", client_id=request.client_id, subject=pending.subject)
        return Redirect(issued.location)

    async def pending_consent(
        self, interaction_id: str, browser: Browser
    ) -> tuple[PendingConsent, Client]:
        pending = await self._stores.interactions.get(interaction_id)
        if pending is None:
            raise _page_error("error_consent_expired", "The consent page has expired")
        _require_same_browser(browser, pending.browser_binding, "consent")
        return pending, _require_client(self._clients, pending.request.client_id)

    async def decide(
        self, interaction_id: str, form: Mapping[str, str], browser: Browser
    ) -> Redirect:
        pending, client = await self.pending_consent(interaction_id, browser)
        if not hmac.compare_digest(form.get("csrf_token", ""), pending.csrf_token):
            raise _page_error(
                "error_csrf", "The form could not be verified", detail="consent CSRF token mismatch"
            )
        decision = form.get("decision")
        if decision not in ("allow", "deny"):
            raise _page_error("error_invalid_request", "Unknown consent decision")
        if await self._stores.interactions.take(interaction_id) is None:
            raise _page_error("error_consent_expired", "The consent was already answered")
        allowed = decision == "allow"
        remember = allowed and form.get("remember") == "yes" and self._consents is not None
        remembered_until = self._consents.until() if remember and self._consents else None
        await self._audit.consent_decided(
            subject=pending.subject,
            client_id=client.client_id,
            claims=pending.claims.keys(),
            allowed=allowed,
            remembered_until=remembered_until,
        )
        request = pending.request
        if not allowed:
            raise AccessDeniedError(
                "The resident denied consent",
                redirect_uri=request.redirect_uri,
                state=request.state,
            )
        issued = await self._codes.issue(pending)
        if remembered_until is not None:
            await self._remember(pending, remembered_until, issued.grant_id)
        return Redirect(issued.location)

    async def _remember(self, pending: PendingConsent, until: float, grant_id: str) -> None:
        if self._consents is None or not pending.upstream_idp or not pending.upstream_subject:
            return
        await self._consents.remember(
            self._consents.resident(pending.upstream_idp, pending.upstream_subject),
            client_id=pending.request.client_id,
            subject=pending.subject,
            claims=pending.claims.keys(),
            grant_id=grant_id,
            until=until,
        )
