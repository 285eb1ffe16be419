"""Everything one running platform holds, reachable as `app.state.guangdong`.

Tests (and the lead's end-to-end tests) read `bindings`, `sessions` and the portal
codes and tokens here; the routes only call the methods below.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from mock_idps.guangdong.accounts import Account, AccountDirectory, weaker_level
from mock_idps.guangdong.binding import Bindings
from mock_idps.guangdong.bridge_keys import BridgeKeys
from mock_idps.guangdong.bridge_logout import BridgeLogout
from mock_idps.guangdong.config import GuangdongConfig, LoginMethod, PortalClient
from mock_idps.guangdong.dialect import PortalAuthority
from mock_idps.guangdong.i18n import match_locale
from mock_idps.guangdong.jwt_bearer import JwtBearerGrant
from mock_idps.guangdong.oidc_client import BridgeClient, BridgeIdentity
from mock_idps.guangdong.pages import Pages
from mock_idps.guangdong.sessions import (
    ExpiringStore,
    LoginFlow,
    PendingBinding,
    PlatformSession,
    PortalRequest,
    new_id,
)

log = logging.getLogger("mock_idps.guangdong")


def add_query(url: str, params: dict[str, str]) -> str:
    """`url` with `params` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


def _sid(identity: BridgeIdentity) -> str | None:
    sid = identity.id_token_claims.get("sid")
    return sid if isinstance(sid, str) else None


class GuangdongPlatform:
    def __init__(
        self,
        config: GuangdongConfig,
        accounts: AccountDirectory,
        pages: Pages,
        *,
        clock: Callable[[], float],
        http: httpx.AsyncClient,
        owns_http: bool,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self.pages = pages
        self.clock = clock
        self.http = http
        self.owns_http = owns_http
        self.bindings = Bindings()
        self.sessions: ExpiringStore[PlatformSession] = ExpiringStore(clock)
        self.logins: ExpiringStore[LoginFlow] = ExpiringStore(clock)
        self.pending_bindings: ExpiringStore[PendingBinding] = ExpiringStore(clock)
        self.portal_requests: ExpiringStore[PortalRequest] = ExpiringStore(clock)
        self.portal = PortalAuthority(config, accounts, clock)
        self.bridge = BridgeClient(
            config.bridge,
            config.oidc_redirect_uri,
            http,
            clock,
            metadata_lifetime=config.lifetimes.discovery_cache,
        )
        self.bridge_keys = BridgeKeys(
            config.bridge, self.bridge, http, clock, config.lifetimes.discovery_cache
        )
        self.bridge_logout = BridgeLogout(
            self.bridge, config.bridge.client_id, self.sessions, config.public_url, clock
        )
        self.jwt_bearer = JwtBearerGrant(
            config, self.bridge_keys, accounts, self.bindings, self.portal.tokens, clock
        )

    @property
    def csrf_secret(self) -> str:
        return self.config.session_secret.get_secret_value()

    def session(self, session_id: str | None) -> tuple[PlatformSession, Account] | None:
        """The live session and its account, if the cookie names one."""
        if not session_id:
            return None
        session = self.sessions.get(session_id)
        if session is None:
            return None
        account = self.accounts.by_useridcode(session.useridcode)
        return None if account is None else (session, account)

    def sign_in(
        self,
        account: Account,
        acr: str | None,
        bridge_subject: str,
        bridge_sid: str | None = None,
        id_token: str | None = None,
    ) -> str:
        """A new platform session after iAM Smart; its id goes into the session cookie."""
        # Never more assurance than either side vouches for.
        level = weaker_level(account.creditable_level_of_account, acr or "")
        record = PlatformSession(
            account.useridcode, level, "iamsmart", bridge_subject, bridge_sid, id_token
        )
        return self._start_session(record)

    def sign_in_with_platform(self, account: Account) -> str:
        """A new platform session after the platform's own login (a Mainland resident)."""
        level = account.creditable_level_of_account
        return self._start_session(PlatformSession(account.useridcode, level, "platform"))

    def _start_session(self, record: PlatformSession) -> str:
        session_id = new_id()
        self.sessions.put(session_id, record, self.config.lifetimes.session)
        log.info("platform session started method=%s level=%s", record.method, record.level)
        return session_id

    def portal_client_of(self, request: PortalRequest) -> PortalClient | None:
        return self.config.portal_client(request.client_id)

    def login_methods(self, request: PortalRequest) -> tuple[LoginMethod, ...]:
        client = self.portal_client_of(request)
        return client.login_methods if client else ()

    def session_serves(self, session: PlatformSession, request: PortalRequest) -> bool:
        """Whether a live session may answer this client without a new sign-in.

        A session made in a way the client does not offer is not reused: an iAM Smart
        session handed to the bridge would bring the bridge its own sign-in back.
        """
        return session.method in self.login_methods(request)

    def waiting_request(self, resume: str | None, method: LoginMethod) -> PortalRequest | None:
        """The portal request waiting under `resume`, if its client offers `method`."""
        request = self.portal_requests.get(resume) if resume else None
        return request if request is not None and method in self.login_methods(request) else None

    def reuse_session(self, session_id: str | None, request: PortalRequest) -> str | None:
        """Where the browser goes at once when its live session may answer `request`."""
        signed_in = self.session(session_id)
        if signed_in is None or not self.session_serves(signed_in[0], request):
            return None
        return self.portal_redirect(request, signed_in[0])

    async def begin_iamsmart(self, ui_locales: str, browser: str, resume: str | None) -> str:
        """Start a sign-in through the bridge from this browser; the URL to send it to.

        Raises `BridgeSignInError` when the bridge cannot be asked.
        """
        start = await self.bridge.start(ui_locales)
        locale = match_locale(ui_locales.split()[0])
        flow = LoginFlow(start.state, start.nonce, start.code_verifier, browser, resume, locale)
        self.logins.put(start.state, flow, self.config.lifetimes.login_flow)
        return start.url

    def returning_login(self, state: str | None, browser: str) -> LoginFlow | None:
        """The sign-in a callback completes, if it started in this browser; used once."""
        flow = self.logins.take(state) if state else None
        if flow is None or not hmac.compare_digest(flow.browser.encode(), browser.encode()):
            return None
        return flow

    async def finish_iamsmart(self, flow: LoginFlow, params: dict[str, str]) -> BridgeIdentity:
        """Who the bridge says signed in; raises `BridgeSignInError` when it did not."""
        return await self.bridge.complete(
            params, nonce=flow.nonce, code_verifier=flow.code_verifier
        )

    def bound_account(self, identity: BridgeIdentity) -> Account | None:
        useridcode = self.bindings.account_for(identity.subject)
        return self.accounts.by_useridcode(useridcode) if useridcode else None

    def sign_out(self, session_id: str | None) -> None:
        if session_id:
            self.sessions.delete(session_id)

    def remove_binding(self, session_id: str, session: PlatformSession) -> bool:
        """Unbind the iAM Smart identity behind `session` and end the session; False for
        a session from the platform's own login, behind which nothing is bound."""
        if session.bridge_subject is None:
            return False
        self.bindings.unbind(session.bridge_subject)
        self.sign_out(session_id)
        log.info("binding removed by the resident")
        return True

    def begin_binding(
        self, identity: BridgeIdentity, resume: str | None, locale: str | None
    ) -> str:
        binding_id = new_id()
        pending = PendingBinding(
            bridge_subject=identity.subject,
            claims=dict(identity.claims),
            acr=identity.acr,
            resume=resume,
            locale=locale,
            bridge_sid=_sid(identity),
            bridge_id_token=identity.id_token,
        )
        self.pending_bindings.put(binding_id, pending, self.config.lifetimes.binding)
        return binding_id

    def remember_portal_request(self, request: PortalRequest) -> str:
        resume = new_id()
        self.portal_requests.put(resume, request, self.config.lifetimes.login_flow)
        return resume

    def portal_redirect(self, request: PortalRequest, session: PlatformSession) -> str:
        """Where the browser goes to hand the portal its code."""
        code = self.portal.issue_code(request, session.useridcode, session.level)
        return self._answer(request, {"code": code})

    def portal_denial(self, request: PortalRequest) -> str:
        """Where the browser goes when the resident cancels the platform's login.

        What the real platform sends then was never seen: `error=access_denied` is the
        RFC 6749 §4.1.2.1 answer, assumed.
        """
        return self._answer(request, {"error": "access_denied"})

    @staticmethod
    def _answer(request: PortalRequest, params: dict[str, str]) -> str:
        if request.state is not None:
            params["state"] = request.state
        return add_query(request.redirect_uri, params)

    def after_sign_in(self, session_id: str, resume: str | None) -> str:
        """Resume the portal authorization that sent the resident here, else the profile."""
        request = self.portal_requests.take(resume) if resume else None
        session = self.sessions.get(session_id)
        if request is None or session is None or not self.session_serves(session, request):
            return "/profile"
        return self.portal_redirect(request, session)

    async def aclose(self) -> None:
        if self.owns_http:
            await self.http.aclose()
