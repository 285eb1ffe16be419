"""OpenID Connect RP-Initiated Logout 1.0 at the end-session endpoint (`/logout`).

The request is checked before anything ends, and an error is a page, never a redirect:

- `id_token_hint`: an ID token the bridge issued, checked by signature and `iss`;
  expired is fine (§2: "the OP SHOULD accept ID Tokens when the RP identified by the ID
  Token's aud claim and/or sid claim has a current session or had a recent session").
  A `client_id` beside it must be one of its audiences.
- `post_logout_redirect_uri`: only with a client identified (by the hint or
  `client_id`), and only one of its registered `post_logout_redirect_uris`, compared as
  exact strings (§3.1). `state` goes back with it.
- With a hint, the hint's session (`sid`) ends at once: the client vouched for it.
  Without one, anyone could have sent the browser here, so the resident confirms on a
  page bound to the browser and protected by a CSRF token, and every session of this
  browser ends.

On the way out, a session that began at an upstream with a browser logout (Guangdong's
platform) sends the browser through it first, and the platform sends it back to a
bridge URL that continues to the client.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict

from bridge import i18n
from bridge.browser import (
    Browser,
    Redirect,
    bind,
    refused,
    require_csrf,
    require_same_browser,
)
from bridge.clock import Clock
from bridge.errors import InvalidTokenError
from bridge.logout.sessions import EndedSession, Sessions
from bridge.provider.clients import Client, ClientRegistry
from bridge.store.record_base import _Sealed, key
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.upstream.base import Connector

LOGOUT_PATH = "/logout"
CONFIRM_PATH = "/logout/confirm"
DONE_PATH = "/logout/done"
CONFIRM_TTL = 600


@runtime_checkable
class BrowserLogout(Protocol):
    """A connector whose identity provider has a logout the browser passes through."""

    def logout_url(self, return_to: str) -> str: ...


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PendingLogout(_Record):
    """A logout without a hint, waiting for the resident to confirm it."""

    logout_id: str
    browser_binding: str
    csrf_token: str
    locale: str
    destination: str | None = None
    """The client's post-logout URI with `state`, already checked."""
    expires_at: float


class Continuation(_Record):
    """Where the browser goes once the upstream's logout sends it back."""

    destination: str
    expires_at: float


class LogoutRecords(_Sealed):
    async def put_pending(self, pending: PendingLogout) -> None:
        k = key("logout", pending.logout_id)
        await self._backend.put(k, self._encode(k, pending), self._ttl(pending.expires_at))

    async def get_pending(self, logout_id: str) -> PendingLogout | None:
        k = key("logout", logout_id)
        return self._decode(k, await self._backend.get(k), PendingLogout)

    async def take_pending(self, logout_id: str) -> PendingLogout | None:
        k = key("logout", logout_id)
        return self._decode(k, await self._backend.take(k), PendingLogout)

    async def put_continuation(self, continuation_id: str, record: Continuation) -> None:
        k = key("logout-next", continuation_id)
        await self._backend.put(k, self._encode(k, record), self._ttl(record.expires_at))

    async def take_continuation(self, continuation_id: str) -> Continuation | None:
        k = key("logout-next", continuation_id)
        return self._decode(k, await self._backend.take(k), Continuation)


@dataclass(frozen=True, slots=True)
class Confirm:
    """Show the confirmation page."""

    logout_id: str
    csrf_token: str
    locale: str
    client_name: str | None
    browser_id: str | None


@dataclass(frozen=True, slots=True)
class SignedOut:
    """Show the signed-out page (no client to go back to)."""

    locale: str


def _one(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name, [])
    if len(values) > 1:
        raise refused("error_invalid_request", f"{name} is repeated")
    return values[0] if values and values[0] else None


def _with_query(uri: str, **values: str | None) -> str:
    present = {k: v for k, v in values.items() if v is not None}
    if not present:
        return uri
    return f"{uri}{'&' if '?' in uri else '?'}{urlencode(present)}"


class EndSession:
    def __init__(
        self,
        *,
        issuer: str,
        clients: ClientRegistry,
        verifier: AccessTokenVerifier,
        sessions: Sessions,
        records: LogoutRecords,
        connectors: Mapping[str, Connector],
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._clients = clients
        self._verifier = verifier
        self._sessions = sessions
        self._records = records
        self._connectors = connectors
        self._clock = clock

    def _hint(self, token: str) -> dict[str, Any]:
        try:
            return self._verifier.verify_id_token_hint(token)
        except InvalidTokenError as exc:
            raise refused(
                "error_logout_hint", "id_token_hint is invalid", detail=exc.detail
            ) from None

    def _client(self, hint: Mapping[str, Any] | None, client_id: str | None) -> Client | None:
        audiences: list[str] = []
        if hint is not None:
            aud = hint["aud"]
            audiences = [aud] if isinstance(aud, str) else [str(a) for a in aud]
        if client_id is not None and hint is not None and client_id not in audiences:
            raise refused("error_logout_client", "client_id is not the hint's audience")
        chosen = client_id or (audiences[0] if audiences else None)
        if chosen is None:
            return None
        client = self._clients.get(chosen)
        if client is None:
            raise refused("error_logout_client", "Unknown client")
        return client

    def _destination(self, client: Client | None, uri: str | None, state: str | None) -> str | None:
        if uri is None:
            return None
        if client is None or uri not in client.post_logout_redirect_uris:
            raise refused(
                "error_logout_redirect",
                "post_logout_redirect_uri is not registered for the client",
            )
        return _with_query(uri, state=state)

    async def start(
        self, params: Mapping[str, Sequence[str]], browser: Browser, accept_language: str | None
    ) -> Redirect | Confirm:
        token = _one(params, "id_token_hint")
        hint = self._hint(token) if token is not None else None
        client = self._client(hint, _one(params, "client_id"))
        destination = self._destination(
            client, _one(params, "post_logout_redirect_uri"), _one(params, "state")
        )
        locales = tuple((_one(params, "ui_locales") or "").split())
        locale = i18n.negotiate(locales, accept_language)
        if hint is not None:
            sid = hint.get("sid")
            ended = await self._sessions.end(sid, "rp_logout") if isinstance(sid, str) else None
            return await self._way_out([ended] if ended else [], destination, locale)
        bound = bind(browser)
        pending = PendingLogout(
            logout_id=secrets.token_urlsafe(32),
            browser_binding=bound.binding,
            csrf_token=secrets.token_urlsafe(32),
            locale=locale,
            destination=destination,
            expires_at=self._clock.now() + CONFIRM_TTL,
        )
        await self._records.put_pending(pending)
        name = client.name.get(locale) if client else None
        return Confirm(pending.logout_id, pending.csrf_token, locale, name, bound.new_id)

    async def confirm(self, form: Mapping[str, str], browser: Browser) -> Redirect:
        logout_id = form.get("logout_id", "")
        pending = await self._records.get_pending(logout_id)
        if pending is None:
            raise refused("error_logout_expired", "The sign-out page has expired")
        require_same_browser(browser, pending.browser_binding, "logout")
        require_csrf(form, pending.csrf_token, "logout")
        if await self._records.take_pending(logout_id) is None:
            raise refused("error_logout_expired", "The sign-out was already answered")
        if form.get("decision") != "sign_out":
            return Redirect(pending.destination or self._done(pending.locale, stayed=True))
        ended = await self._sessions.end_browser(browser, "rp_logout")
        return await self._way_out(ended, pending.destination, pending.locale)

    async def continued(self, continuation_id: str | None, locale: str) -> str:
        """Back from the upstream's logout: on to the client, or the signed-out page."""
        found = await self._records.take_continuation(continuation_id or "")
        return found.destination if found is not None else self._done(locale)

    def _done(self, locale: str, *, stayed: bool = False) -> str:
        return _with_query(
            f"{self._issuer}{DONE_PATH}", lang=locale, stayed="1" if stayed else None
        )

    async def _way_out(
        self, ended: Sequence[EndedSession], destination: str | None, locale: str
    ) -> Redirect:
        final = destination or self._done(locale)
        for result in ended:
            connector = self._connectors.get(result.session.upstream)
            if isinstance(connector, BrowserLogout):
                continuation_id = secrets.token_urlsafe(24)
                record = Continuation(destination=final, expires_at=self._clock.now() + CONFIRM_TTL)
                await self._records.put_continuation(continuation_id, record)
                back = _with_query(f"{self._issuer}{DONE_PATH}", lang=locale, next=continuation_id)
                return Redirect(connector.logout_url(back))
        return Redirect(final)
