"""The kiosk's side of RFC 8628, on the wire: start a device authorization, poll the
token endpoint, read the resident's claims, revoke the tokens when the resident leaves."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from mock_idps.kiosk.config import KioskConfig

CLOCK_SKEW = 60
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class KioskError(Exception):
    """The bridge said no, or could not be reached; `error` is its OAuth error code."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True, slots=True)
class Started:
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


class DeviceClient:
    def __init__(
        self, config: KioskConfig, http: httpx.AsyncClient, clock: Callable[[], float]
    ) -> None:
        self._clock = clock
        self._config = config
        self._http = http
        settings = config.bridge
        self._auth = (settings.client_id, settings.client_secret.get_secret_value())

    async def _post(self, path: str, form: dict[str, str]) -> httpx.Response:
        try:
            return await self._http.post(
                self._config.back_channel(path), data=form, auth=self._auth
            )
        except httpx.HTTPError as exc:
            raise KioskError("unreachable") from exc

    async def start(self) -> Started:
        response = await self._post("/device_authorization", {"scope": self._config.bridge.scopes})
        body = response.json() if response.content else {}
        if response.status_code != 200:
            raise KioskError(str(body.get("error", "server_error")))
        fields = Started.__dataclass_fields__
        return Started(**{name: body[name] for name in fields})

    async def poll(self, device_code: str) -> dict[str, Any]:
        """The tokens, or `KioskError` with authorization_pending, slow_down, …"""
        response = await self._post(
            "/token", {"grant_type": DEVICE_GRANT, "device_code": device_code}
        )
        body: dict[str, Any] = response.json() if response.content else {}
        if response.status_code != 200:
            raise KioskError(str(body.get("error", "server_error")))
        return body

    async def resident(self, tokens: dict[str, Any]) -> dict[str, Any]:
        """The ID token's claims after checking its signature, issuer, audience and
        expiry (no nonce: the device grant has no authorization request to carry one),
        with UserInfo's claims beside them."""
        jwks = (await self._http.get(self._config.back_channel("/jwks.json"))).json()
        try:
            token = jwt.decode(tokens["id_token"], KeySet.import_key_set(jwks))
            jwt.JWTClaimsRegistry(
                now=int(self._clock()),
                leeway=CLOCK_SKEW,
                iss={"essential": True, "value": self._config.bridge.issuer},
                aud={"essential": True, "value": self._config.bridge.client_id},
                exp={"essential": True},
            ).validate(token.claims)
        except JoseError as exc:
            raise KioskError("invalid_id_token") from exc
        headers = {"Authorization": f"Bearer {tokens['access_token']}"}
        info = await self._http.get(self._config.back_channel("/userinfo"), headers=headers)
        return {**token.claims, **(info.json() if info.status_code == 200 else {})}

    async def revoke(self, access_token: str) -> None:
        """RFC 7009; the bridge answers 200 whether or not the token was still live."""
        await self._post("/revoke", {"token": access_token, "token_type_hint": "access_token"})
