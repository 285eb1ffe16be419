"""The resident's side of a kiosk sign-in (RFC 8628 §3.3), on their phone.

The phone opens `verification_uri_complete` (the kiosk's QR code) or types the user
code at `/device`. The page names the kiosk and where it stands and asks "Are you
signing in at this kiosk?", declining by default: the cross-device flows BCP
(RFC 10027) is about a resident approving a code an attacker sent them, and a place
they are not at is the tell. The first phone to answer claims the code, atomically; the
sign-in then goes upstream as a `DeviceSignIn` and, after consent, ends in the device
approval (`provider/device_ending.py`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from urllib.parse import urlencode

import structlog

from bridge.browser import Browser, Redirect, bind, binding, refused, require_csrf
from bridge.claims.policy import release_set
from bridge.clock import Clock
from bridge.model import (
    ClientRequest,
    DeviceEnding,
    DeviceSignIn,
    DeviceStatus,
    LocalizedText,
    UserCode,
)
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.device import display_user_code, normalize_user_code
from bridge.signin.client import ChooseUpstream, ClientSignIns, UpstreamOption
from bridge.signin.device_guesses import DeviceGuesses
from bridge.signin.upstream_flows import UpstreamFlows
from bridge.store.devices import DeviceStore

log = structlog.get_logger(__name__)

CONTINUE_PATH = "/device/continue"
_ATTEMPTS = 8


@dataclass(frozen=True, slots=True)
class KioskQuestion:
    """The confirmation page: which kiosk, where, and the form that answers."""

    user_code: str
    kiosk_name: LocalizedText
    location: LocalizedText
    csrf_token: str
    browser_id: str | None
    """A new browser id to set as the cookie (the answer must come from this browser)."""


@dataclass(frozen=True, slots=True)
class Declined:
    """The resident said it is not their kiosk; the kiosk hears access_denied."""


@dataclass(frozen=True, slots=True)
class _Live:
    code: UserCode
    client: Client


class DeviceSignIns:
    def __init__(
        self,
        *,
        devices: DeviceStore,
        clients: ClientRegistry,
        signins: ClientSignIns,
        flows: UpstreamFlows,
        guesses: DeviceGuesses,
        clock: Clock,
        csrf_secret: str,
    ) -> None:
        self._devices = devices
        self._clients = clients
        self._signins = signins
        self._flows = flows
        self._guesses = guesses
        self._clock = clock
        self._csrf_key = hashlib.sha256(b"device-csrf:" + csrf_secret.encode()).digest()

    def _csrf(self, browser_binding: str, user_code: str) -> str:
        message = f"{browser_binding}|{user_code}".encode()
        return hmac.new(self._csrf_key, message, hashlib.sha256).hexdigest()

    async def _live(self, user_code: str | None) -> _Live:
        """The user code's authorization, if it still waits for an answer."""
        code = await self._devices.user_code(user_code) if user_code else None
        client = self._clients.get(code.client_id) if code else None
        if code is None or client is None or not client.is_kiosk:
            raise refused("error_device_unknown", "No kiosk is waiting for this code")
        found = await self._devices.device(code.device_key)
        if found is None or found.record.expires_at <= self._clock.now():
            raise refused("error_device_expired", "The kiosk's code has expired")
        if found.record.claim_id is not None or found.record.status != "pending":
            raise refused("error_device_used", "This code has already been answered")
        return _Live(code, client)

    async def question(self, typed: str, browser: Browser, address: str | None) -> KioskQuestion:
        """GET /device?user_code=…: which kiosk is asking (a counted guess)."""
        bound = bind(browser)
        await self._guesses.spend(bound.binding, address)
        user_code = normalize_user_code(typed)
        live = await self._live(user_code)
        assert live.client.kiosk is not None and user_code is not None  # noqa: S101 - _live
        return KioskQuestion(
            user_code=display_user_code(user_code),
            kiosk_name=live.client.name,
            location=live.client.kiosk.location,
            csrf_token=self._csrf(bound.binding, user_code),
            browser_id=bound.new_id,
        )

    async def answer(
        self, form: dict[str, str], browser: Browser, address: str | None, locale: str
    ) -> Redirect | ChooseUpstream | Declined:
        """POST /device: the resident's answer, which claims the code for this phone."""
        if browser.browser_id is None:
            raise refused("error_csrf", "The form could not be verified")
        bound = binding(browser.browser_id)
        await self._guesses.spend(bound, address)
        user_code = normalize_user_code(form.get("user_code", ""))
        require_csrf(form, self._csrf(bound, user_code or ""), "device")
        decision = form.get("decision")
        if decision not in ("approve", "decline"):
            raise refused("error_invalid_request", "Unknown answer")
        live = await self._live(user_code)
        claim_id = secrets.token_urlsafe(16)
        status: DeviceStatus = "pending" if decision == "approve" else "denied"
        if not await self._claim(live.code.device_key, claim_id, bound, status):
            raise refused("error_device_used", "This code has already been answered")
        log.info("device.answered", client_id=live.client.client_id, decision=decision)
        if decision == "decline":
            return Declined()
        assert user_code is not None  # noqa: S101 - _live found it
        return await self._begin(live, user_code, claim_id, browser, locale, None)

    async def resume(
        self, typed: str, upstream: str, browser: Browser, locale: str
    ) -> Redirect | ChooseUpstream:
        """GET /device/continue: the upstream the resident chose, for the code this
        browser claimed."""
        user_code = normalize_user_code(typed)
        code = await self._devices.user_code(user_code) if user_code else None
        found = await self._devices.device(code.device_key) if code else None
        client = self._clients.get(code.client_id) if code else None
        mine = binding(browser.browser_id) if browser.browser_id else None
        if found is None or mine is None or found.record.claimed_by != mine:
            raise refused("error_device_unknown", "No kiosk is waiting for this code")
        if found.record.status != "pending" or found.record.expires_at <= self._clock.now():
            raise refused("error_device_expired", "The kiosk's code has expired")
        if code is None or client is None or upstream not in client.upstreams:
            raise refused("error_unknown_upstream", "Unknown identity provider")
        assert user_code is not None and found.record.claim_id is not None  # noqa: S101
        live = _Live(code, client)
        return await self._begin(live, user_code, found.record.claim_id, browser, locale, upstream)

    async def _claim(self, k: str, claim_id: str, bound: str, status: DeviceStatus) -> bool:
        for _ in range(_ATTEMPTS):  # a kiosk's poll may write in between: read again
            found = await self._devices.device(k)
            if found is None or found.record.claim_id is not None:
                return False
            if found.record.status != "pending":
                return False
            update = {"claim_id": claim_id, "claimed_by": bound, "status": status}
            if await self._devices.replace(k, found, found.record.model_copy(update=update)):
                return True
        return False

    async def _begin(
        self,
        live: _Live,
        user_code: str,
        claim_id: str,
        browser: Browser,
        locale: str,
        upstream: str | None,
    ) -> Redirect | ChooseUpstream:
        client = live.client
        if upstream is None and len(client.upstreams) == 1:
            upstream = client.upstreams[0]
        if upstream is None:
            connectors = self._flows.connectors
            shown = display_user_code(user_code)
            options = tuple(
                UpstreamOption(name, connectors[name].display_name, _continue(shown, name, locale))
                for name in client.upstreams
            )
            return ChooseUpstream(client.name, options, (locale,))
        request = ClientRequest(
            client_id=client.client_id, scopes=live.code.scopes, ui_locales=(locale,)
        )
        mapper = self._signins.mapper(upstream, client)
        released = release_set(client.allowed_claims, request.scopes, mapper)
        purpose = DeviceSignIn(
            request=request,
            ending=DeviceEnding(device_key=live.code.device_key, claim_id=claim_id),
            released_claims=tuple(sorted(released)),
        )
        return await self._flows.begin(
            upstream,
            purpose,
            browser,
            ui_locales=(locale,),
            fields=mapper.source_fields(released, client_id=client.client_id),
        )


def _continue(user_code: str, upstream: str, locale: str) -> str:
    return f"{CONTINUE_PATH}?{urlencode({'user_code': user_code, 'idp': upstream, 'lang': locale})}"
