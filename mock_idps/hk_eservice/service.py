"""Everything one running e-service holds (`app.state.hk_eservice`), and its sign-in:
start at the bridge for a chosen identity provider, complete the callback into a
session, sign out. The routes only call the methods here.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Mapping
from typing import Any

import httpx

from mock_idps._backchannel import LogoutReceiver, LogoutRejected, matches
from mock_idps._oidc_rp import RelyingParty, SignedIn, SignInError
from mock_idps.hk_eservice.config import HkEserviceConfig
from mock_idps.hk_eservice.failures import SignInFailed, from_rp
from mock_idps.hk_eservice.pages import Pages
from mock_idps.hk_eservice.sessions import Expiring, LoginFlow, ResidentSession, new_id

log = logging.getLogger("mock_idps.hk_eservice")

IDENTITY_PROVIDERS = ("guangdong", "iamsmart")
"""The upstreams a resident can pick, by the bridge's `idp_hint` names."""

ID_TOKEN_ALGORITHMS = ("ES256", "RS256", "EdDSA")
"""What the bridge signs with (BRIDGE_KEYS_ALGORITHM); nothing symmetric, never `none`."""

IDP_CLAIM = "idp"

_SIGN_IN_PLUMBING = frozenset(
    {"sub", "acr", "idp", "aud", "azp", "exp", "iat", "nbf", "jti", "nonce", "at_hash", "c_hash"}
)
"""ID token claims shown elsewhere on the profile, or that only the protocol needs."""


def _identity_provider(signed_in: SignedIn, chosen: str) -> tuple[str, bool]:
    """The upstream the bridge says it used, else the one the resident chose."""
    for claims in (signed_in.id_token_claims, signed_in.claims):
        named = claims.get(IDP_CLAIM)
        if isinstance(named, str) and named:
            return named, True
    return chosen, False


class HkEservice:
    def __init__(
        self,
        config: HkEserviceConfig,
        pages: Pages,
        *,
        clock: Callable[[], float],
        http: httpx.AsyncClient,
        owns_http: bool,
    ) -> None:
        self.config = config
        self.pages = pages
        self.http = http
        self.owns_http = owns_http
        self.logins: Expiring[LoginFlow] = Expiring(clock)
        self.sessions: Expiring[ResidentSession] = Expiring(clock)
        self.bridge = RelyingParty(
            config.bridge,
            config.redirect_uri,
            http,
            clock,
            metadata_lifetime=config.lifetimes.discovery_cache,
            algorithms=ID_TOKEN_ALGORITHMS,
            iss_required=False,
        )
        self.logouts = LogoutReceiver(self.bridge, config.bridge.client_id, clock)

    async def begin(self, idp_hint: str, locale: str, browser: str) -> str:
        """Where to send the browser to sign in with `idp_hint`; the flow is kept by state."""
        try:
            start = await self.bridge.start(locale, idp_hint=idp_hint)
        except SignInError as exc:
            log.warning("cannot start a sign-in at the bridge: %s", exc)
            raise SignInFailed(exc.kind, locale=locale, idp_hint=idp_hint) from exc
        flow = LoginFlow(start.nonce, start.code_verifier, browser, idp_hint, locale)
        self.logins.add(start.state, flow, self.config.lifetimes.login_flow)
        return start.url

    async def finish(self, params: Mapping[str, list[str]], browser: str) -> str:
        """The id of a new session for the callback's `params`, else `SignInFailed`."""
        single = {name: values[0] for name, values in params.items()}
        # The flow is taken before anything else: a callback URL works once, replayed
        # or not, and only in the browser that started the sign-in (login CSRF).
        flow = self.logins.pop(single.get("state"))
        if flow is None or not hmac.compare_digest(flow.browser.encode(), browser.encode()):
            log.info("callback without a matching sign-in in this browser")
            raise SignInFailed("expired")
        if any(len(values) > 1 for values in params.values()):
            raise SignInFailed("failed", locale=flow.locale, idp_hint=flow.idp_hint)
        try:
            signed_in = await self.bridge.complete(
                single, nonce=flow.nonce, code_verifier=flow.code_verifier
            )
        except SignInError as exc:
            log.warning("sign-in not completed: kind=%s %s", exc.kind, exc)
            kind, error, description = from_rp(exc, single.get("error_description"))
            raise SignInFailed(
                kind,
                locale=flow.locale,
                idp_hint=flow.idp_hint,
                error=error,
                description=description,
            ) from exc
        return self._open_session(signed_in, flow.idp_hint)

    def _open_session(self, signed_in: SignedIn, chosen: str) -> str:
        if self.logouts.ended(signed_in.id_token_claims.get("sid")):
            # the bridge session ended while the browser was on its way back
            log.info("sign-in refused: its bridge session has already ended")
            raise SignInFailed("expired", idp_hint=chosen)
        idp, from_claim = _identity_provider(signed_in, chosen)
        session = ResidentSession(
            subject=signed_in.subject,
            acr=signed_in.acr,
            idp=idp,
            idp_from_claim=from_claim,
            csrf_token=new_id(),
            userinfo=dict(signed_in.claims),
            id_token_claims=dict(signed_in.id_token_claims),
            id_token=signed_in.id_token,
        )
        session_id = new_id()
        self.sessions.add(session_id, session, self.config.lifetimes.session)
        log.info("session started idp=%s acr=%s", idp, signed_in.acr)
        return session_id

    def session(self, session_id: str | None) -> ResidentSession | None:
        return self.sessions.find(session_id)

    async def sign_out(
        self, session_id: str | None, csrf_token: str, locale: str
    ) -> tuple[bool, str | None]:
        """End the local session if the form carries its CSRF token, and where the
        browser goes next: the bridge's end-session endpoint (RP-Initiated Logout 1.0),
        which ends the bridge session and tells the other services, then comes back to
        /signed-out here."""
        session = self.sessions.find(session_id)
        if session is None:
            return True, None  # nothing to end: the resident is signed out either way
        if not hmac.compare_digest(session.csrf_token.encode(), csrf_token.encode()):
            return False, None
        self.sessions.pop(session_id)
        back = f"{self.config.public_url}/signed-out"
        try:
            url = await self.bridge.logout_url(session.id_token, back, new_id(), locale)
        except SignInError as exc:
            log.warning("bridge logout unavailable: %s", exc)
            url = None
        return True, url

    async def backchannel_logout(self, token: str) -> bool:
        """OIDC Back-Channel Logout 1.0 §2.6-2.8: False (answer 400) if the token fails."""
        try:
            notice = await self.logouts.verify(token)
        except LogoutRejected as exc:
            log.warning("back-channel logout rejected: %s", exc)
            return False
        ended = self.sessions.remove_where(
            lambda s: matches(notice, s.id_token_claims.get("sid"), s.subject)
        )
        log.info("back-channel logout ended %d session(s)", ended)
        return True

    def end_session(self, session_id: str | None) -> None:
        """Drop a previous session when a new one starts (no session fixation)."""
        self.sessions.pop(session_id)

    def released_claims(self, session: ResidentSession) -> list[tuple[str, Any]]:
        """What UserInfo carried about the resident, besides the `sub` shown apart."""
        return [(name, value) for name, value in session.userinfo.items() if name != "sub"]

    def sign_in_details(self, session: ResidentSession) -> list[tuple[str, Any]]:
        """The rest of the ID token: who issued it, when the resident authenticated..."""
        claims = session.id_token_claims.items()
        return [(name, value) for name, value in claims if name not in _SIGN_IN_PLUMBING]

    async def aclose(self) -> None:
        if self.owns_http:
            await self.http.aclose()
