"""One kiosk's sessions: a resident walks up, the kiosk starts a device authorization,
shows the QR code, polls at the interval the bridge gave (5 seconds longer after each
slow_down, RFC 8628 §3.5), and shows the resident's page until they press Finish.

A session lives only in this process's memory and ends on Finish: the kiosk's tokens
are revoked at the bridge and dropped. `on_session_end` hooks run then, so that a
sign-out at the bridge (or an upstream) can be added without touching the kiosk flow.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import segno

from mock_idps.kiosk.device_client import DeviceClient, KioskError, Started

log = logging.getLogger("mock_idps.kiosk")

SLOW_DOWN_STEP = 5


@dataclass
class KioskSession:
    session_id: str
    started: Started
    interval: int
    next_poll_at: float
    expires_at: float
    tokens: dict[str, Any] | None = None
    resident: dict[str, Any] = field(default_factory=dict)
    outcome: str | None = None
    """Why the sign-in ended without a resident: declined, expired, failed."""

    @property
    def qr_svg(self) -> str:
        """`verification_uri_complete` as an inline SVG QR code (medium error correction)."""
        qr = segno.make(self.started.verification_uri_complete, error="m")
        return str(qr.svg_inline(scale=5, dark="#1b1b1b", border=2))


SessionEnded = Callable[[KioskSession], Awaitable[None]]


class KioskDesk:
    def __init__(
        self,
        client: DeviceClient,
        clock: Callable[[], float],
        on_session_end: list[SessionEnded] | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._sessions: dict[str, KioskSession] = {}
        self.on_session_end: list[SessionEnded] = list(on_session_end or [])
        """Run when a session ends (Finish): the hook for signing the resident out."""

    def session(self, session_id: str | None) -> KioskSession | None:
        return self._sessions.get(session_id or "")

    async def begin(self) -> KioskSession:
        started = await self._client.start()
        now = self._clock()
        session = KioskSession(
            session_id=secrets.token_urlsafe(24),
            started=started,
            interval=started.interval,
            next_poll_at=now + started.interval,
            expires_at=now + started.expires_in,
        )
        self._sessions[session.session_id] = session
        return session

    async def wait(self, session: KioskSession) -> None:
        """Poll the bridge once if the interval has passed; never sooner."""
        now = self._clock()
        if session.tokens is not None or session.outcome is not None or now < session.next_poll_at:
            return
        try:
            tokens = await self._client.poll(session.started.device_code)
            session.resident = await self._client.resident(tokens)
        except KioskError as refusal:
            self._refused(session, refusal.error, now)
            return
        session.tokens = tokens
        log.info("kiosk: a resident signed in")

    def _refused(self, session: KioskSession, error: str, now: float) -> None:
        if error == "slow_down":
            session.interval += SLOW_DOWN_STEP
        if error in ("authorization_pending", "slow_down"):
            session.next_poll_at = now + session.interval
            return
        outcomes = {"access_denied": "declined", "expired_token": "expired"}
        session.outcome = outcomes.get(error, "failed")
        log.info("kiosk: sign-in ended without a resident (%s)", error)

    async def finish(self, session_id: str | None) -> None:
        """End the session: revoke the tokens at the bridge, forget them, run the hooks."""
        session = self._sessions.pop(session_id or "", None)
        if session is None:
            return
        if session.tokens is not None:
            await self._client.revoke(session.tokens["access_token"])
        session.tokens = None
        for hook in self.on_session_end:
            await hook(session)
