"""The resident's own sign-in to the bridge, for the page listing remembered consents.

The resident proves who they are the same way as for any sign-in — an upstream identity
provider, through the bridge's callback — but no client is involved and no profile field
is asked for: only the upstream's identifier, from which the bridge derives the
resident's identifier at its own sector (`bridge.consent.memory.RESIDENT_SECTOR`). It is
one more purpose of an upstream round trip (`AccountSignIn`), completed here.

The session is stored under the digest of the browser's cookie, so it needs no cookie
of its own and cannot be used from another browser.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from urllib.parse import urlencode

import structlog

from bridge.browser import Browser, Redirect, binding, refused, require_csrf
from bridge.clock import Clock
from bridge.consent.memory import ConsentMemory
from bridge.errors import OAuthError, UpstreamError
from bridge.model import AccountSignIn, LocalizedText, UpstreamFlow, UpstreamIdentity
from bridge.signin.client import ChooseUpstream, UpstreamOption
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.store.accounts import AccountSession, AccountStore

log = structlog.get_logger(__name__)

CONSENTS_PATH = "/consents"
SIGN_IN_PATH = "/consents/sign-in"


class AccountSignIns:
    def __init__(
        self,
        *,
        flows: UpstreamFlows,
        sessions: AccountStore,
        memory: ConsentMemory,
        upstreams: Sequence[str],
        clock: Clock,
        session_ttl: int,
    ) -> None:
        self._flows = flows
        self._sessions = sessions
        self.memory = memory
        self._upstreams = tuple(upstreams)
        self._clock = clock
        self._session_ttl = session_ttl

    async def start(
        self, browser: Browser, locale: str, upstream: str | None
    ) -> Redirect | ChooseUpstream:
        """Send the resident to an identity provider to prove who they are; with more
        than one and none chosen, let them choose."""
        if upstream not in self._upstreams:
            if len(self._upstreams) != 1:
                return self._chooser(locale)
            upstream = self._upstreams[0]
        return await self._flows.begin(
            upstream, AccountSignIn(locale=locale), browser, ui_locales=(locale,)
        )

    def options(self, locale: str) -> ChooseUpstream:
        """One way to sign in per identity provider, for the consents page."""
        return self._chooser(locale)

    def _chooser(self, locale: str) -> ChooseUpstream:
        connectors = self._flows.connectors
        options = tuple(
            UpstreamOption(
                name,
                connectors[name].display_name,
                f"{SIGN_IN_PATH}?{urlencode({'idp': name, 'lang': locale})}",
            )
            for name in self._upstreams
        )
        return ChooseUpstream(None, options, (locale,))

    # --- the completer of the "account" purpose ----------------------------------------

    async def completed(
        self, flow: UpstreamFlow, identity: UpstreamIdentity, browser: Browser
    ) -> Redirect:
        purpose = flow.purpose
        assert isinstance(purpose, AccountSignIn)  # noqa: S101 - registered for "account"
        resident = self.memory.resident(identity.idp, identity.subject)
        await self._sessions.put_session(
            AccountSession(
                resident=resident,
                browser_binding=flow.browser_binding,
                csrf_token=secrets.token_urlsafe(32),
                locale=purpose.locale,
                expires_at=self._clock.now() + self._session_ttl,
            )
        )
        log.info("account.signed_in", resident=resident)
        return Redirect(CONSENTS_PATH)

    async def failed(
        self, flow: UpstreamFlow, failure: UpstreamError, upstream: LocalizedText
    ) -> OAuthError:
        return refused(
            "error_account_signin",
            "Sign-in to review consents did not complete",
            detail=f"{failure.failure.value} ({failure.upstream_code})",
        )

    # --- the signed-in resident --------------------------------------------------------

    async def session(self, browser: Browser) -> AccountSession | None:
        if browser.browser_id is None:
            return None
        return await self._sessions.session(binding(browser.browser_id))

    async def _checked(self, browser: Browser, form: Mapping[str, str]) -> AccountSession:
        session = await self.session(browser)
        if session is None:
            raise refused("error_account_expired", "Your session has ended")
        require_csrf(form, session.csrf_token, "account")
        return session

    async def withdraw(self, browser: Browser, form: Mapping[str, str]) -> Redirect:
        session = await self._checked(browser, form)
        client_id = form.get("client_id", "")
        withdrawn = await self.memory.withdraw(session.resident, client_id)
        if withdrawn is None:
            raise refused("error_consent_unknown", "No such remembered consent")
        return Redirect(f"{CONSENTS_PATH}?{urlencode({'withdrawn': client_id})}")

    async def sign_out(self, browser: Browser, form: Mapping[str, str]) -> Redirect:
        session = await self._checked(browser, form)
        await self._sessions.end_session(session.browser_binding)
        log.info("account.signed_out", resident=session.resident)
        return Redirect(f"{CONSENTS_PATH}?signed_out=1")
