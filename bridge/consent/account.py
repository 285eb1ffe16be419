"""The resident's own sign-in to the bridge, for the page listing remembered consents.

The resident proves who they are the same way as for any sign-in — iAM Smart, through
the bridge's callback — but no client is involved and no profile field is asked for:
only the openID, from which the bridge derives the resident's identifier at its own
sector (`bridge.consent.memory.RESIDENT_SECTOR`).

Account flows use 36-character states and sign-in flows 32-character ones
(`bridge.broker`), so the shared callback tells them apart without a store lookup.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping

import structlog

from bridge.broker import Browser, Redirect
from bridge.clock import Clock
from bridge.consent.memory import ConsentMemory
from bridge.errors import InvalidRequestError, UpstreamError
from bridge.model import UpstreamAuthRequest
from bridge.store.accounts import AccountFlow, AccountSession
from bridge.store.records import Stores
from bridge.upstream.base import Connector

log = structlog.get_logger(__name__)

CONSENTS_PATH = "/consents"


def _binding(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


def _refused(message_key: str, description: str, detail: str | None = None) -> InvalidRequestError:
    return InvalidRequestError(description, detail=detail, message_key=message_key)


class AccountSignIn:
    def __init__(
        self,
        *,
        stores: Stores,
        clock: Clock,
        connectors: Mapping[str, Connector],
        memory: ConsentMemory,
        upstream: str,
        flow_ttl: int,
        session_ttl: int,
    ) -> None:
        self._stores = stores
        self._clock = clock
        self._connectors = connectors
        self.memory = memory
        self._upstream = upstream
        self._flow_ttl = flow_ttl
        self._session_ttl = session_ttl

    async def start(self, browser: Browser, locale: str) -> Redirect:
        """Send the resident to iAM Smart to prove who they are."""
        new_browser_id = None
        browser_id = browser.browser_id
        if browser_id is None or len(browser_id) != 43:
            browser_id = new_browser_id = secrets.token_urlsafe(32)
        flow = AccountFlow(
            flow_id=secrets.token_urlsafe(27),  # 36 characters: see the module docstring
            upstream=self._upstream,
            browser_binding=_binding(browser_id),
            locale=locale,
            user_agent=(browser.user_agent or "")[:512] or None,
            expires_at=self._clock.now() + self._flow_ttl,
        )
        await self._stores.accounts.put_flow(flow)
        location = self._connectors[self._upstream].authorization_url(self._request(flow))
        return Redirect(location, browser_id=new_browser_id)

    @staticmethod
    def _request(flow: AccountFlow) -> UpstreamAuthRequest:
        return UpstreamAuthRequest(
            state=flow.flow_id, ui_locales=(flow.locale,), user_agent=flow.user_agent
        )

    async def complete(
        self, connector: Connector, state: str, params: Mapping[str, str], browser: Browser
    ) -> Redirect:
        """The callback from iAM Smart: open a session bound to this browser."""
        flow = await self._stores.accounts.take_flow(state)
        if flow is None or flow.upstream != connector.name:
            raise _refused("error_flow_expired", "The sign-in has expired or was completed")
        if browser.browser_id is None or not hmac.compare_digest(
            _binding(browser.browser_id), flow.browser_binding
        ):
            raise _refused(
                "error_browser_mismatch",
                "The sign-in was started in another browser",
                detail="browser binding mismatch at the account callback",
            )
        try:
            identity = await connector.complete(params, self._request(flow))
        except UpstreamError as failure:
            log.info("account.signin_failed", failure=failure.failure.value)
            raise _refused(
                "error_account_signin",
                "Sign-in to review consents did not complete",
                detail=f"{failure.failure.value} ({failure.upstream_code})",
            ) from failure
        resident = self.memory.resident(identity.idp, identity.subject)
        await self._stores.accounts.put_session(
            AccountSession(
                resident=resident,
                browser_binding=flow.browser_binding,
                csrf_token=secrets.token_urlsafe(32),
                locale=flow.locale,
                expires_at=self._clock.now() + self._session_ttl,
            )
        )
        log.info("account.signed_in", resident=resident)
        return Redirect(CONSENTS_PATH)

    async def session(self, browser: Browser) -> AccountSession | None:
        if browser.browser_id is None:
            return None
        return await self._stores.accounts.session(_binding(browser.browser_id))

    async def _checked(self, browser: Browser, form: Mapping[str, str]) -> AccountSession:
        session = await self.session(browser)
        if session is None:
            raise _refused("error_account_expired", "Your session has ended")
        if not hmac.compare_digest(form.get("csrf_token", ""), session.csrf_token):
            raise _refused("error_csrf", "The form could not be verified", detail="account CSRF")
        return session

    async def withdraw(self, browser: Browser, form: Mapping[str, str]) -> Redirect:
        session = await self._checked(browser, form)
        client_id = form.get("client_id", "")
        withdrawn = await self.memory.withdraw(session.resident, client_id)
        if withdrawn is None:
            raise _refused("error_consent_unknown", "No such remembered consent")
        return Redirect(f"{CONSENTS_PATH}?withdrawn={client_id}")

    async def sign_out(self, browser: Browser, form: Mapping[str, str]) -> Redirect:
        session = await self._checked(browser, form)
        await self._stores.accounts.end_session(session.browser_binding)
        log.info("account.signed_out", resident=session.resident)
        return Redirect(f"{CONSENTS_PATH}?signed_out=1")
