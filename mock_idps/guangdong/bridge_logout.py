"""The platform's side of logging out of the bridge, for residents who signed in with
iAM Smart through it: its "Sign out" starts RP-Initiated Logout at the bridge, and the
bridge's back-channel logout tokens end the platform sessions with that `sid`
(`mock_idps._backchannel`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from mock_idps._backchannel import LogoutReceiver, LogoutRejected, matches
from mock_idps._oidc_rp import RelyingParty, SignInError
from mock_idps.guangdong.sessions import ExpiringStore, PlatformSession, new_id

log = logging.getLogger("mock_idps.guangdong")


class BridgeLogout:
    def __init__(
        self,
        bridge: RelyingParty,
        client_id: str,
        sessions: ExpiringStore[PlatformSession],
        public_url: str,
        clock: Callable[[], float],
    ) -> None:
        self._bridge = bridge
        self._sessions = sessions
        self._public_url = public_url
        self.receiver = LogoutReceiver(bridge, client_id, clock)

    def ended(self, sid: object) -> bool:
        """A notice already ended this bridge session: open no platform session for it."""
        return self.receiver.ended(sid)

    async def receive(self, token: str) -> bool:
        try:
            notice = await self.receiver.verify(token)
        except LogoutRejected as exc:
            log.warning("back-channel logout rejected: %s", exc)
            return False
        ended = self._sessions.remove_where(
            lambda s: s.bridge_sid is not None and matches(notice, s.bridge_sid, s.bridge_subject)
        )
        log.info("back-channel logout ended %d session(s)", ended)
        return True

    async def sign_out_url(self, session: PlatformSession | None, locale: str) -> str | None:
        """The bridge's end-session URL for a session that came through it, if any."""
        if session is None or session.bridge_id_token is None:
            return None
        back = f"{self._public_url}/signed-out"
        try:
            return await self._bridge.logout_url(session.bridge_id_token, back, new_id(), locale)
        except SignInError as exc:
            log.warning("bridge logout unavailable: %s", exc)
            return None
