"""The resident's own sign-in to the bridge (the consent page at /consents): a short
session bound to the browser, after an upstream round trip like any other sign-in.

The session is stored under the digest of the browser's cookie, so it needs no cookie
of its own and cannot be used from another browser.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bridge.store.record_base import _Sealed, key


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountSession(_Record):
    resident: str
    """The resident's pairwise identifier at the bridge's own sector."""
    browser_binding: str
    csrf_token: str
    locale: str
    expires_at: float


class AccountStore(_Sealed):
    async def put_session(self, session: AccountSession) -> None:
        k = key("account", session.browser_binding)
        await self._backend.put(k, self._encode(k, session), self._ttl(session.expires_at))

    async def session(self, browser_binding: str) -> AccountSession | None:
        k = key("account", browser_binding)
        return self._decode(k, await self._backend.get(k), AccountSession)

    async def end_session(self, browser_binding: str) -> None:
        await self._backend.delete(key("account", browser_binding))
