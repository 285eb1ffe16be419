"""Everything one running platform holds, reachable as `app.state.guangdong`.

Tests (and the lead's end-to-end tests) read `bindings`, `sessions` and the portal
codes and tokens here; the routes only call the methods below.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx

from mock_idps.guangdong.accounts import Account, AccountDirectory, weaker_level
from mock_idps.guangdong.binding import Bindings
from mock_idps.guangdong.bridge_keys import BridgeKeys
from mock_idps.guangdong.config import GuangdongConfig
from mock_idps.guangdong.dialect import PortalAuthority
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
        account = self.accounts.by_user_id_code(session.user_id_code)
        return None if account is None else (session, account)

    def sign_in(self, account: Account, acr: str | None, bridge_subject: str) -> str:
        """A new platform session; its id goes into the session cookie."""
        # protocols.md §4: never more assurance than either side vouches for.
        level = weaker_level(account.level, acr or "")
        session_id = new_id()
        record = PlatformSession(account.user_id_code, level, bridge_subject)
        self.sessions.put(session_id, record, self.config.lifetimes.session)
        log.info("platform session started level=%s", level)
        return session_id

    def sign_out(self, session_id: str | None) -> None:
        if session_id:
            self.sessions.delete(session_id)

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
        )
        self.pending_bindings.put(binding_id, pending, self.config.lifetimes.binding)
        return binding_id

    def remember_portal_request(self, request: PortalRequest) -> str:
        resume = new_id()
        self.portal_requests.put(resume, request, self.config.lifetimes.login_flow)
        return resume

    def portal_redirect(self, request: PortalRequest, session: PlatformSession) -> str:
        """Where the browser goes to hand the portal its code."""
        code = self.portal.issue_code(request, session.user_id_code, session.level)
        params = {"code": code}
        if request.state is not None:
            params["state"] = request.state
        return add_query(request.redirect_uri, params)

    def after_sign_in(self, session_id: str, resume: str | None) -> str:
        """Resume the portal authorization that sent the resident here, else the profile."""
        request = self.portal_requests.take(resume) if resume else None
        session = self.sessions.get(session_id)
        if request is None or session is None:
            return "/profile"
        return self.portal_redirect(request, session)

    async def aclose(self) -> None:
        if self.owns_http:
            await self.http.aclose()
