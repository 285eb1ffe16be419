"""The iAM Smart connector: QR/broker-page sign-in, then getToken and profiles
(docs/protocols.md §1.2, §1.4–§1.6, §1.11), behind the bridge's `Connector` Protocol.

The resident's identity is iAM Smart's pairwise openID; profile fields are fetched only
when the release policy asks for them (`UpstreamAuthRequest.fields`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bridge.clock import Clock, SystemClock
from bridge.errors import ConfigError, UpstreamError, UpstreamFailure
from bridge.model import LocalizedText, UpstreamAuthRequest, UpstreamIdentity
from bridge.upstream.iamsmart import protocol
from bridge.upstream.iamsmart.browser import PC_BROWSER, is_mobile, lang_for, source_for
from bridge.upstream.iamsmart.client import IamSmartClient
from bridge.upstream.iamsmart.config import IamSmartConfig
from bridge.upstream.iamsmart.crypto import CryptoError, Kek

logger = logging.getLogger(__name__)

_STATE = re.compile(r"[A-Za-z0-9_-]{1,36}")
"""What iAM Smart accepts as `state` (§1.4)."""
_CODE = re.compile(r"[A-Za-z0-9_-]{1,128}")


class IamSmartConnector:
    """A `bridge.upstream.base.Connector` for iAM Smart.

    `http` is used for the back channel; when none is given the connector makes its own
    and closes it in `aclose`, otherwise the caller owns it. Each request is limited to
    `config.timeout_seconds` either way.
    """

    def __init__(
        self,
        name: str,
        config: IamSmartConfig,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Clock | None = None,
    ) -> None:
        problems = []
        if config.redirect_uri is None:
            problems.append("redirect_uri is not set (issuer + /callback/<name>)")
        try:
            kek = Kek.from_file(config.kek_private_key_file)
        except CryptoError as exc:
            problems.append(f"kek_private_key_file: {exc}")
        if problems:
            raise ConfigError(f"upstream {name} (iamsmart)", problems)
        self._name = name
        self._config = config
        self._redirect_uri = str(config.redirect_uri)
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self._client = IamSmartClient(
            config, http=self._http, clock=clock or SystemClock(), kek=kek
        )

    @property
    def name(self) -> str:
        return self._name

    @property
    def display_name(self) -> LocalizedText:
        return self._config.display_name

    def authorization_url(self, request: UpstreamAuthRequest) -> str:
        if not _STATE.fullmatch(request.state):
            raise ValueError("iAM Smart takes a state of 1-36 characters [A-Za-z0-9_-]")
        source = PC_BROWSER if request.other_device else source_for(request.user_agent)
        params = {
            "clientID": self._config.client_id,
            "responseType": "code",
            "source": source,
            "redirectURI": self._redirect_uri,
            "scope": " ".join(self._config.scopes),
        }
        lang = lang_for(request.ui_locales)
        if lang is not None:
            params["lang"] = lang
        if is_mobile(source):
            # On the phone itself a QR code cannot be scanned: ask iAM Smart to open its app.
            params["brokerPage"] = "true"
        params["state"] = request.state
        query = urlencode(params, quote_via=quote)
        return f"{self._config.browser_base_url}{protocol.GET_QR}?{query}"

    def same_device(self, request: UpstreamAuthRequest) -> bool:
        return not request.other_device and is_mobile(source_for(request.user_agent))

    def callback_state(self, params: Mapping[str, str]) -> str | None:
        return params.get("state")

    async def complete(
        self, params: Mapping[str, str], request: UpstreamAuthRequest
    ) -> UpstreamIdentity:
        if params.get("state") != request.state:
            raise UpstreamError(UpstreamFailure.PROTOCOL, "iAM Smart callback: state mismatch")
        error_code = params.get("error_code")
        if error_code is not None:
            code = error_code if re.fullmatch(r"D\d{5}", error_code) else "malformed"
            raise UpstreamError(
                protocol.failure_for(code),
                f"iAM Smart callback: {protocol.describe(code)}",
                upstream_code=code,
            )
        auth_code = params.get("code", "")
        if not _CODE.fullmatch(auth_code):
            raise UpstreamError(UpstreamFailure.PROTOCOL, "iAM Smart callback: no usable code")

        grant = await self._client.get_token(auth_code)
        profile: dict[str, Any] = {}
        if request.fields:
            profile = await self._client.profiles(grant, *self._split_fields(request.fields))
        return UpstreamIdentity(
            idp=self._name,
            subject=grant.open_id,
            attributes={
                **profile,
                "userType": grant.user_type,
                "lastModifiedDate": grant.last_modified_date,
            },
        )

    def _split_fields(self, fields: tuple[str, ...]) -> tuple[list[str], list[str]]:
        unknown = sorted(set(fields) - protocol.PROFILE_FIELDS - protocol.EME_FIELDS)
        if unknown:
            # A configuration slip, not a reason to fail the resident's sign-in; asking
            # for less than configured is the safe direction.
            logger.warning("ignoring unknown iAM Smart fields", extra={"fields": unknown})
        profile_fields = [f for f in fields if f in protocol.PROFILE_FIELDS]
        eme_fields = [f for f in fields if f in protocol.EME_FIELDS]
        return profile_fields, eme_fields

    async def aclose(self) -> None:
        self._client.forget_key()
        if self._owns_http:
            await self._http.aclose()
