"""The resident's own sign-in to the bridge (the consent page at /consents): a flow
waiting for iAM Smart, then a short session bound to the browser.

The session is stored under the digest of the browser's cookie, so it needs no cookie
of its own and cannot be used from another browser.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bridge.store.records import _Sealed, key


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountFlow(_Record):
    flow_id: str
    upstream: str
    browser_binding: str
    locale: str
    user_agent: str | None = None
    expires_at: float


class AccountSession(_Record):
    resident: str
    """The resident's pairwise identifier at the bridge's own sector."""
    browser_binding: str
    csrf_token: str
    locale: str
    expires_at: float


class AccountStore(_Sealed):
    async def put_flow(self, flow: AccountFlow) -> None:
        k = key("account-flow", flow.flow_id)
        await self._backend.put(k, self._encode(k, flow), self._ttl(flow.expires_at))

    async def take_flow(self, flow_id: str) -> AccountFlow | None:
        k = key("account-flow", flow_id)
        return self._decode(k, await self._backend.take(k), AccountFlow)

    async def put_session(self, session: AccountSession) -> None:
        k = key("account", session.browser_binding)
        await self._backend.put(k, self._encode(k, session), self._ttl(session.expires_at))

    async def session(self, browser_binding: str) -> AccountSession | None:
        k = key("account", browser_binding)
        return self._decode(k, await self._backend.get(k), AccountSession)

    async def end_session(self, browser_binding: str) -> None:
        await self._backend.delete(key("account", browser_binding))
