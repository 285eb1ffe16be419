"""Bridge sessions: one per resident per browser, what logout ends.

A session is opened (or extended) when a client receives an authorization code, keyed
by a random `sid` that goes into every ID token issued in it (OIDC Back-Channel Logout
§2.1), and bound to the browser by the digest of its cookie (`bridge.browser`). It
records each client that received tokens in it, with the pairwise `sub` that client
knows and the grants it holds, so ending the session can revoke exactly those grants
and tell exactly those clients.

Several sign-ins may finish in one session at once (two tabs): every change is a
compare-and-set on the sealed record. A browser's sessions are found through a set
keyed by the browser's binding (a kiosk browser may hold several residents' sessions),
and the one of a resident through an index key claimed with `put_new`, so two tabs
finishing at once still share one session.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict

from bridge.errors import StoreError
from bridge.store.record_base import _Sealed, digest, key

MAX_ATTEMPTS = 16
MAX_GRANTS = 20
EXPIRY_GRACE = 3600.0
"""The record outlives its `expires_at` this long in the store, so the worker that ends
expired sessions still finds it (it revokes the grants and tells the clients)."""


INDEX_TTL = 7 * 86400.0
"""How long the (browser, resident, upstream) → sid index lives: longer than a session
normally does (a stale entry names an ended session and is replaced)."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SessionClient(_Record):
    client_id: str
    subject: str
    """The resident's pairwise `sub` at this client (what a logout token names)."""
    grant_ids: tuple[str, ...] = ()


class BridgeSession(_Record):
    sid: str
    browser_binding: str
    resident: str
    """The resident's pairwise identifier at the bridge's own sector."""
    upstream: str
    """Where the resident signed in (the upstream's name): its logout, if any, follows."""
    clients: dict[str, SessionClient] = {}
    started_at: float
    expires_at: float


def session_key(sid: str) -> str:
    return key("session", sid)


def browser_key(binding: str) -> str:
    return key("browser-sessions", binding)


Change = Callable[[BridgeSession], BridgeSession | None]


class SessionStore(_Sealed):
    def _store_ttl(self, session: BridgeSession) -> float:
        return self._ttl(session.expires_at) + EXPIRY_GRACE

    async def get(self, sid: str) -> BridgeSession | None:
        """The live session `sid` (None once it ended or expired)."""
        k = session_key(sid)
        return self._decode(k, await self._backend.get(k), BridgeSession)

    async def get_even_expired(self, sid: str) -> BridgeSession | None:
        k = session_key(sid)
        blob = await self._backend.get(k)
        if blob is None:
            return None
        return BridgeSession.model_validate_json(self._sealer.open(blob, k))

    async def of_browser(self, binding: str) -> list[BridgeSession]:
        found = []
        for sid in await self._backend.set_members(browser_key(binding)):
            session = await self.get(sid.decode())
            if session is not None and session.browser_binding == binding:
                found.append(session)
        return sorted(found, key=lambda s: s.started_at)

    async def open(self, binding: str, resident: str, upstream: str, ttl: float) -> BridgeSession:
        """This browser's live session of this resident at this upstream, or a new one.
        Two sign-ins finishing at once in two tabs get the same one: the index key is
        claimed with `put_new`, and the loser reads the winner's session."""
        index = key("session-of", digest(f"{binding}:{resident}:{upstream}"))
        for _ in range(MAX_ATTEMPTS):
            found = await self._backend.get(index)
            session = await self.get(found.decode()) if found is not None else None
            if session is not None:
                return session
            fresh = await self._create(binding, resident, upstream, ttl)
            sid, index_ttl = fresh.sid.encode(), max(ttl * 8, INDEX_TTL)
            claimed = (
                await self._backend.put_new(index, sid, index_ttl)
                if found is None
                else await self._backend.compare_and_set(index, found, sid, index_ttl)
            )
            if claimed:
                return fresh
            await self._backend.delete(session_key(fresh.sid))  # another tab won
            await self._backend.set_remove(browser_key(binding), [sid])
        raise StoreError("session open kept losing races")

    async def _create(
        self, binding: str, resident: str, upstream: str, ttl: float
    ) -> BridgeSession:
        now = self._clock.now()
        session = BridgeSession(
            sid=secrets.token_urlsafe(24),
            browser_binding=binding,
            resident=resident,
            upstream=upstream,
            started_at=now,
            expires_at=now + ttl,
        )
        k = session_key(session.sid)
        if not await self._backend.put_new(k, self._encode(k, session), self._store_ttl(session)):
            raise RuntimeError("session id collision")  # 192 random bits: never
        await self._backend.set_add(browser_key(binding), [session.sid.encode()], ttl)
        return session

    async def update(self, sid: str, change: Change, *, even_expired: bool = False) -> bool:
        """Apply `change` (None: end the session) by compare-and-set; False when there
        was no live session to change. `change` may run more than once."""
        k = session_key(sid)
        for _ in range(MAX_ATTEMPTS):
            blob = await self._backend.get(k)
            if blob is None:
                return False
            current = BridgeSession.model_validate_json(self._sealer.open(blob, k))
            if current.expires_at <= self._clock.now() and not even_expired:
                return False
            changed = change(current)
            value = None if changed is None else self._encode(k, changed)
            ttl = self._store_ttl(changed) if changed is not None else 1.0
            if await self._backend.compare_and_set(k, blob, value, ttl):
                if changed is None:
                    await self._backend.set_remove(
                        browser_key(current.browser_binding), [sid.encode()]
                    )
                return True
        raise StoreError("session update kept losing races")

    async def joined(
        self, sid: str, *, client_id: str, subject: str, grant_id: str, ttl: float
    ) -> bool:
        """Note that `client_id` received tokens of `grant_id`; the session is extended.
        False when the session ended meanwhile (the caller revokes the grant)."""
        now = self._clock.now()
        bindings: list[str] = []

        def join(session: BridgeSession) -> BridgeSession:
            bindings[:] = [session.browser_binding]
            earlier = session.clients.get(client_id)
            grants = (*(earlier.grant_ids if earlier else ()), grant_id)[-MAX_GRANTS:]
            entry = SessionClient(client_id=client_id, subject=subject, grant_ids=grants)
            return session.model_copy(
                update={
                    "clients": {**session.clients, client_id: entry},
                    "expires_at": max(session.expires_at, now + ttl),
                }
            )

        joined = await self.update(sid, join)
        if joined:
            await self._backend.set_add(browser_key(bindings[0]), [sid.encode()], ttl)
        return joined
