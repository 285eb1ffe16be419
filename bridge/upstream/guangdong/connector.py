"""The Guangdong platform connector: a Mainland resident signs in with their Guangdong
identity, behind the bridge's `Connector` Protocol.

The dialect ("tif", OpenAM-derived, not OIDC):

1. browser → `{browser_base_url}/tif/sso/connect/page/oauth2/authorize?service=initService
   &response_type=code&client_id=…&scope=all&redirect_uri=<exact>&state=…`;
2. back to `redirect_uri` with `code` and `state`, or with `error` (the mock sends
   `access_denied` on Cancel; what the real platform sends is not known);
3. `GET {api_base_url}/…/oauth2/access_token?client_id&client_secret&code&grant_type=
   authorization_code&redirect_uri&scope=all` → `{access_token, token_type, expires_in}`:
   a short-lived token, no refresh token, no ID token;
4. `GET …/oauth2/tokeninfo?access_token=` → `{errcode: 0, …, userobj: {…}}`.

The identity is `UpstreamIdentity(idp=<name>, subject=useridcode, attributes=…)`, where
`attributes` holds, as strings, the `userobj` fields of `protocol.USEROBJ_FIELDS` that
the release policy asks for (`UpstreamAuthRequest.fields`) plus always
`protocol.TOKEN_FIELDS`:

    useridcode, uid, cn (name, Simplified), usertype ("1" person, "2" legal person),
    idcardtype ("10" 居民身份证, "20" passport, "40" other), idcardnumber, sex ("1"/"2",
    assumed), telephonenumber, mail, isreal ("true"/"false"), realtype ("PLV"…),
    createtime (YYYYMMDDhhmmss), creditable_level_of_account ("L0".."L3"),
    creditable_level_of_account_way ("L0@IDV@…||L2@YSS@…"; its codes may be document
    numbers: personal data like idcardnumber), extproperties (a dict made from the wire's
    list of "key=value" strings, unknown "-1" values dropped: origin, accout_type [sic],
    area, uversion…).

A field of the wrong type is dropped (and named in a warning, never its value).
"""

from __future__ import annotations

import hmac
import logging
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from bridge.clock import Clock
from bridge.errors import ConfigError, UpstreamError, UpstreamFailure
from bridge.logs import redact_outgoing_query_strings
from bridge.model import LocalizedText, UpstreamAuthRequest, UpstreamIdentity
from bridge.upstream.guangdong import protocol
from bridge.upstream.guangdong.client import TifClient
from bridge.upstream.guangdong.config import GuangdongConfig

logger = logging.getLogger(__name__)

_STATE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_CODE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SUBJECT = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _attributes(userobj: Mapping[str, Any], wanted: frozenset[str]) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    dropped = []
    for name in sorted(wanted & userobj.keys()):
        value = userobj[name]
        if name == "extproperties":
            value = protocol.extproperties_dict(value)
        if isinstance(value, dict if name == "extproperties" else str):
            attributes[name] = value
        else:
            dropped.append(name)
    if dropped:
        logger.warning(
            "ignoring Guangdong userobj fields of the wrong type", extra={"fields": dropped}
        )
    return attributes


class GuangdongConnector:
    """A `bridge.upstream.base.Connector` for the Guangdong platform.

    `http` is used for the back channel; when none is given the connector makes its own
    and closes it in `aclose`, otherwise the caller owns it.
    """

    def __init__(
        self,
        name: str,
        config: GuangdongConfig,
        *,
        http: httpx.AsyncClient | None = None,
        clock: Clock | None = None,  # the registry's signature; nothing here expires
    ) -> None:
        if config.redirect_uri is None:
            raise ConfigError(
                f"upstream {name} (guangdong)",
                ["redirect_uri is not set (issuer + /callback/<name>)"],
            )
        redact_outgoing_query_strings()
        self._name = name
        self._config = config
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient()
        self._client = TifClient(config, http=self._http)

    @property
    def name(self) -> str:
        return self._name

    @property
    def display_name(self) -> LocalizedText:
        return self._config.display_name

    def authorization_url(self, request: UpstreamAuthRequest) -> str:
        if not _STATE.fullmatch(request.state):
            raise ValueError("state must be 1-128 characters [A-Za-z0-9_-]")
        params = {
            "service": protocol.SERVICE,
            "response_type": "code",
            "client_id": self._config.client_id,
            "scope": protocol.SCOPE,
            "redirect_uri": str(self._config.redirect_uri),
            "state": request.state,
        }
        if "login" in request.prompt:
            # OIDC prompt=login: without it a live platform session answers at once
            # (SSO), and the client's demand for a fresh authentication would be lost.
            params["prompt"] = "login"
        # quote, not quote_plus: the platform compares redirect_uri exactly, encoded.
        query = urlencode(params, quote_via=quote)
        return f"{self._config.browser_base_url}{protocol.AUTHORIZE}?{query}"

    def logout_url(self, return_to: str) -> str:
        """Where the browser ends its platform session on the way out of a bridge
        session that began here (`bridge.logout.rp_initiated.BrowserLogout`)."""
        query = urlencode({"redirect_uri": return_to})
        return f"{self._config.browser_base_url}{protocol.LOGOUT}?{query}"

    def callback_state(self, params: Mapping[str, str]) -> str | None:
        return params.get("state")

    async def complete(
        self, params: Mapping[str, str], request: UpstreamAuthRequest
    ) -> UpstreamIdentity:
        state = params.get("state", "")
        if not hmac.compare_digest(state.encode(), request.state.encode()):
            raise UpstreamError(UpstreamFailure.PROTOCOL, "Guangdong callback: state mismatch")
        error = params.get("error")
        if error is not None:
            code = protocol.wire_code(error)
            raise UpstreamError(
                protocol.callback_failure(code),
                f"Guangdong callback: error={code}",
                upstream_code=code,
            )
        auth_code = params.get("code", "")
        if not _CODE.fullmatch(auth_code):
            raise UpstreamError(UpstreamFailure.PROTOCOL, "Guangdong callback: no usable code")

        token = await self._client.access_token(auth_code)
        userobj = await self._client.userobj(token)
        subject = userobj.get("useridcode")
        if not isinstance(subject, str) or not _SUBJECT.fullmatch(subject):
            raise UpstreamError(
                UpstreamFailure.PROTOCOL, "Guangdong tokeninfo: userobj lacks a usable useridcode"
            )
        return UpstreamIdentity(
            idp=self._name, subject=subject, attributes=_attributes(userobj, self._wanted(request))
        )

    def _wanted(self, request: UpstreamAuthRequest) -> frozenset[str]:
        unknown = sorted(set(request.fields) - protocol.USEROBJ_FIELDS)
        if unknown:
            # A configuration slip, not a reason to fail the resident's sign-in; taking
            # less than configured is the safe direction.
            logger.warning("ignoring unknown Guangdong fields", extra={"fields": unknown})
        return protocol.TOKEN_FIELDS | (frozenset(request.fields) & protocol.USEROBJ_FIELDS)

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()
