"""The resident's consent to a release, and acting on the answer.

After the upstream, the claims a client would receive wait here as a sealed pending
consent, bound to the browser. A consent the resident asked the bridge to remember, and
that covers these claims and scopes, is used instead of asking again (unless the client
asked with `prompt=consent`) — with an audit record naming
the earlier decision. Either way the request's ending delivers the answer.
"""

from __future__ import annotations

from collections.abc import Mapping

import structlog

from bridge.audit.trail import AuditTrail
from bridge.browser import Allowed, Browser, Redirect, refused, require_csrf, require_same_browser
from bridge.consent.memory import ConsentMemory
from bridge.errors import AccessDeniedError
from bridge.logout.sessions import Sessions
from bridge.model import PendingConsent
from bridge.provider.clients import Client, ClientRegistry
from bridge.signin.client import require_client
from bridge.signin.endings import Endings
from bridge.store.records import Interactions

log = structlog.get_logger(__name__)

CONSENT_PATH = "/consent/"
PROMPT_CONSENT = "consent"
"""OIDC Core §3.1.2.1: the page is shown even when a remembered consent covers it."""


def remembers(pending: PendingConsent) -> bool:
    """A kiosk is shared: a decision taken there is never remembered, nor reused there
    (the resident confirms each kiosk sign-in on their phone)."""
    return pending.ending.kind != "device"


class ConsentStep:
    def __init__(
        self,
        *,
        clients: ClientRegistry,
        interactions: Interactions,
        memory: ConsentMemory,
        endings: Endings,
        audit: AuditTrail,
        sessions: Sessions | None = None,
    ) -> None:
        self._clients = clients
        self._interactions = interactions
        self._memory = memory
        self._endings = endings
        self._audit = audit
        self._sessions = sessions

    async def _allow(self, pending: PendingConsent, resident: str | None) -> Allowed:
        """The ending issues the release inside the browser's bridge session."""
        if self._sessions is None:
            return await self._endings.allow(pending)
        pending = await self._sessions.opened(pending, resident)
        allowed = await self._endings.allow(pending)
        await self._sessions.joined(pending, allowed.grant_id)
        return allowed

    def _resident(self, pending: PendingConsent) -> str | None:
        if not pending.upstream_idp or not pending.upstream_subject:
            return None
        return self._memory.resident(pending.upstream_idp, pending.upstream_subject)

    async def ask_or_reuse(self, pending: PendingConsent) -> Redirect:
        """Ask the resident — unless a remembered consent already covers the release."""
        resident = self._resident(pending)
        client_id = pending.request.client_id
        asked = pending.request
        earlier = (
            await self._memory.covering(resident, client_id, pending.claims.keys(), asked.scopes)
            if resident is not None and PROMPT_CONSENT not in asked.prompt and remembers(pending)
            else None
        )
        if earlier is None or resident is None:
            await self._interactions.put(pending)
            return Redirect(f"{CONSENT_PATH}{pending.interaction_id}")
        await self._audit.consent_decided(
            subject=pending.subject,
            client_id=client_id,
            claims=pending.claims.keys(),
            allowed=True,
            remembered_until=earlier.expires_at,
            reused=True,
        )
        allowed = await self._allow(pending, resident)
        await self._memory.add_grant(resident, client_id, allowed.grant_id)
        log.info("signin.consent_remembered", client_id=client_id, subject=pending.subject)
        return allowed.redirect

    async def pending(self, interaction_id: str, browser: Browser) -> tuple[PendingConsent, Client]:
        pending = await self._interactions.get(interaction_id)
        if pending is None:
            raise refused("error_consent_expired", "The consent page has expired")
        require_same_browser(browser, pending.browser_binding, "consent")
        return pending, require_client(self._clients, pending.request.client_id)

    async def decide(
        self, interaction_id: str, form: Mapping[str, str], browser: Browser
    ) -> Redirect:
        pending, client = await self.pending(interaction_id, browser)
        require_csrf(form, pending.csrf_token, "consent")
        decision = form.get("decision")
        if decision not in ("allow", "deny"):
            raise refused("error_invalid_request", "Unknown consent decision")
        if await self._interactions.take(interaction_id) is None:
            raise refused("error_consent_expired", "The consent was already answered")
        allowed = decision == "allow"
        resident = self._resident(pending)
        remember = allowed and form.get("remember") == "yes" and resident is not None
        remember = remember and remembers(pending)
        remembered_until = self._memory.until() if remember else None
        await self._audit.consent_decided(
            subject=pending.subject,
            client_id=client.client_id,
            claims=pending.claims.keys(),
            allowed=allowed,
            remembered_until=remembered_until,
        )
        if not allowed:
            raise await self._endings.refuse(
                pending.ending, AccessDeniedError("The resident denied consent")
            )
        issued = await self._allow(pending, resident)
        if remembered_until is not None and resident is not None:
            await self._memory.remember(
                resident,
                client_id=client.client_id,
                subject=pending.subject,
                claims=pending.claims.keys(),
                scopes=pending.request.scopes,
                grant_id=issued.grant_id,
                until=remembered_until,
            )
        return issued.redirect
