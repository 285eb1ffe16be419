"""The bridge session as sign-ins and logouts see it: joined when a client receives a
code, ended by whatever ends it.

Ending a session revokes every grant issued in it — with the grant go its access and
refresh tokens, so introspection and UserInfo say so at once — and queues a
back-channel logout token for every client of the session that registered for one.
A client that leaves a session (the resident withdrew consent to it, or it revoked its
own grant) is told the same way when someone else ended its part, and the session
ends with its last client.

A release that finishes just as its session ends (the logout/redirect race: a logout
while the browser is still on its way back to a client) finds the session gone, and
its grant is revoked before the client could redeem the code.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from bridge.browser import Browser, binding
from bridge.clock import Clock
from bridge.logout.deliveries import BackChannelLogout
from bridge.metrics import BridgeMetrics
from bridge.model import Grant, PendingConsent
from bridge.store.backend import KeyValueBackend
from bridge.store.record_base import key
from bridge.store.records import Grants
from bridge.store.sessions import BridgeSession, SessionClient, SessionStore

log = structlog.get_logger(__name__)

EXPIRIES = key("queue", "session-expiries")


@dataclass(frozen=True, slots=True)
class EndedSession:
    session: BridgeSession
    notified: tuple[str, ...]
    """The clients a logout token was queued for."""


class Sessions:
    def __init__(
        self,
        *,
        store: SessionStore,
        grants: Grants,
        backchannel: BackChannelLogout,
        backend: KeyValueBackend,
        clock: Clock,
        ttl: int,
        metrics: BridgeMetrics,
    ) -> None:
        self.store = store
        self._grants = grants
        self.backchannel = backchannel
        self._backend = backend
        self._clock = clock
        self.ttl = ttl
        self._metrics = metrics

    # --- sign-ins -----------------------------------------------------------------------

    async def opened(self, pending: PendingConsent, resident: str | None) -> PendingConsent:
        """`pending`, in this browser's session of this resident (opened if need be)."""
        if resident is None:
            return pending
        session = await self.store.open(
            pending.browser_binding, resident, pending.upstream, self.ttl
        )
        return pending.model_copy(update={"sid": session.sid})

    async def joined(self, pending: PendingConsent, grant_id: str) -> None:
        """The client of `pending` received `grant_id` in its session; if the session
        ended meanwhile, the grant is revoked at once (nothing outlives a logout)."""
        if pending.sid is None:
            return
        joined = await self.store.joined(
            pending.sid,
            client_id=pending.request.client_id,
            subject=pending.subject,
            grant_id=grant_id,
            ttl=self.ttl,
        )
        if not joined:
            await self._grants.revoke(grant_id)
            log.info("session.join_after_end", client_id=pending.request.client_id)
            return
        session = await self.store.get(pending.sid)
        if session is not None:
            member = session.sid.encode()
            await self._backend.queue_push(EXPIRIES, member, session.expires_at, self.ttl * 2)

    # --- ending -------------------------------------------------------------------------

    async def end(
        self, sid: str, reason: str, *, even_expired: bool = False
    ) -> EndedSession | None:
        """End session `sid`: its grants revoked, its clients told. None if it had ended."""
        ended: list[BridgeSession] = []

        def finish(session: BridgeSession) -> None:
            ended[:] = [session]

        if not await self.store.update(sid, finish, even_expired=even_expired) or not ended:
            return None
        session = ended[0]
        notified = []
        for client in session.clients.values():
            await self._revoke(client)
            if await self.backchannel.notify(
                client.client_id, subject=client.subject, sid=sid, reason=reason
            ):
                notified.append(client.client_id)
        await self._backend.queue_remove(EXPIRIES, sid.encode())
        self._metrics.sessions_ended.labels(reason=reason).inc()
        log.info(
            "session.ended", reason=reason, clients=len(session.clients), notified=len(notified)
        )
        return EndedSession(session, tuple(notified))

    async def end_browser(self, browser: Browser, reason: str) -> list[EndedSession]:
        """End every session of this browser (a kiosk's "Finish", a confirmed logout)."""
        if browser.browser_id is None:
            return []
        ended = []
        for session in await self.store.of_browser(binding(browser.browser_id)):
            result = await self.end(session.sid, reason)
            if result is not None:
                ended.append(result)
        return ended

    async def leave(self, sid: str, client_id: str, reason: str, *, notify: bool) -> None:
        """`client_id` leaves the session: its grants revoked, told if `notify`; the
        session ends with its last client."""
        left: list[SessionClient] = []

        def drop(session: BridgeSession) -> BridgeSession | None:
            left[:] = [session.clients[client_id]] if client_id in session.clients else []
            clients = {c: e for c, e in session.clients.items() if c != client_id}
            return session.model_copy(update={"clients": clients}) if clients else None

        if not await self.store.update(sid, drop) or not left:
            return
        await self._revoke(left[0])
        if notify:
            await self.backchannel.notify(
                client_id, subject=left[0].subject, sid=sid, reason=reason
            )
        log.info("session.client_left", client_id=client_id, reason=reason)

    async def client_withdrawn(self, grant: Grant, reason: str) -> None:
        """The resident withdrew consent to the grant's client: it is logged out."""
        if grant.sid is not None:
            await self.leave(grant.sid, grant.client_id, reason, notify=True)

    async def grant_revoked(self, grant: Grant, reason: str) -> None:
        """A grant revoked by its client (RFC 7009) or after a code replay takes its
        client out of the session (the client knows: it asked, or it is under attack)."""
        if grant.sid is not None:
            await self.leave(grant.sid, grant.client_id, reason, notify=False)

    async def end_expired(self, count: int = 32) -> int:
        """End the sessions whose time ran out (their grants, their clients' logout)."""
        now = self._clock.now()
        due = await self._backend.queue_claim(EXPIRIES, now, 60, count)
        for member in due:
            sid = member.decode()
            session = await self.store.get_even_expired(sid)
            if session is None:
                await self._backend.queue_remove(EXPIRIES, member)
            # the clock read again: `now` is from before the claim's round trip, and a
            # session created meanwhile (or a clock stepped back) must not end early
            elif session.expires_at > self._clock.now():  # extended by a later sign-in
                await self._backend.queue_push(EXPIRIES, member, session.expires_at, self.ttl * 2)
            else:
                await self.end(sid, "expired", even_expired=True)
        return len(due)

    async def _revoke(self, client: SessionClient) -> None:
        for grant_id in client.grant_ids:
            await self._grants.revoke(grant_id)

    async def run_expiries(self, poll_interval: float) -> None:
        while True:
            try:
                await self.end_expired()
            except Exception as exc:  # the store may be down for a while; keep the task alive
                log.warning("session.expiry_worker_error", error=type(exc).__name__)
            await asyncio.sleep(poll_interval)
