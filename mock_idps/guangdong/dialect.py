"""The platform's own OAuth2 dialect ("tif") for its portals and the bridge.

An OpenAM-derived authorization code flow with the deployment's quirks kept: the
authorize request must say `scope=all` and `service=initService`, the token request
may be a GET with the client secret in the query string, and the user record comes
from `tokeninfo` (no ID token). The HTTP layer (`portal.py`) only translates the
results of these functions.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mock_idps.guangdong.accounts import AccountDirectory, Level
from mock_idps.guangdong.config import GuangdongConfig, PortalClient
from mock_idps.guangdong.sessions import ExpiringStore, PortalRequest

# Wire error codes of this dialect. `error_code` numbers and `errcode` values are
# assumptions [A]: the real numbers are not public.
INVALID_REQUEST = "invalid_request"
INVALID_CLIENT = "invalid_client"
INVALID_GRANT = "invalid_grant"
UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
INVALID_SCOPE = "invalid_scope"
_ERROR_CODES = {
    INVALID_REQUEST: "40001",
    INVALID_CLIENT: "40002",
    INVALID_GRANT: "40003",
    UNSUPPORTED_GRANT_TYPE: "40004",
    INVALID_SCOPE: "40005",
}
CODE_NOT_FOR_CLIENT = "40006"
"""`invalid_grant` for a live code presented by another client or with another
redirect_uri, told apart from 40003 (unknown, expired or used) so that a client can
say "misconfigured" rather than "sign in again"."""
TOKENINFO_INVALID = 40014
TOKENINFO_EXPIRED = 42001
_EXPIRED_TOKEN_MEMORY = 3600
"""Seconds an expired token is still recognised, to answer "expired" not "invalid"."""


class AuthorizeRejected(Exception):
    """The authorize request is refused with a page, never a redirect.

    `message_key` names the catalog text; until the redirect_uri has been checked no
    redirect is safe, and the platform answers every other fault with a page too.
    """

    def __init__(self, message_key: str) -> None:
        super().__init__(message_key)
        self.message_key = message_key


class TokenError(Exception):
    """An `access_token` request refused with HTTP 400 and a JSON body."""

    def __init__(self, error: str, description: str, code: str | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.code = code or _ERROR_CODES[error]

    def body(self) -> dict[str, str]:
        # `error_code`/`error_msg` mirror the OAuth names for clients written against
        # the older deployment (docs/protocols.md §2.3).
        return {
            "error": self.error,
            "error_description": self.description,
            "error_code": self.code,
            "error_msg": self.description,
        }


@dataclass(frozen=True, slots=True)
class IssuedCode:
    client_id: str
    redirect_uri: str
    useridcode: str
    level: Level


@dataclass(frozen=True, slots=True)
class IssuedToken:
    client_id: str
    useridcode: str
    level: Level
    expires_at: float
    scope: str | None = None
    """Set for tokens obtained with the JWT bearer grant (`jwt_bearer.py`)."""


def _single(params: Mapping[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        # RFC 6749 §3.1: request parameters must not be repeated.
        raise ValueError(name)
    return values[0]


def _secret_matches(client: PortalClient, presented: str) -> bool:
    # Digests first, so the comparison takes the same time whatever the lengths.
    expected = hashlib.sha256(client.client_secret.get_secret_value().encode()).digest()
    return hmac.compare_digest(expected, hashlib.sha256(presented.encode()).digest())


class PortalAuthority:
    def __init__(
        self, config: GuangdongConfig, accounts: AccountDirectory, clock: Callable[[], float]
    ) -> None:
        self._config = config
        self._accounts = accounts
        self._clock = clock
        self.codes: ExpiringStore[IssuedCode] = ExpiringStore(clock)
        self.tokens: ExpiringStore[IssuedToken] = ExpiringStore(clock)

    def check_authorize(self, params: Mapping[str, list[str]]) -> PortalRequest:
        """The request as accepted, or `AuthorizeRejected` (client and redirect first)."""
        try:
            client_id = _single(params, "client_id")
            redirect_uri = _single(params, "redirect_uri")
            client = self._config.portal_client(client_id or "")
            if client is None:
                raise AuthorizeRejected("portal.error.unknown_client")
            if redirect_uri not in client.redirect_uris:
                raise AuthorizeRejected("portal.error.bad_redirect_uri")
            values = {n: _single(params, n) for n in ("response_type", "scope", "service")}
            state = _single(params, "state")
            prompt = _single(params, "prompt")
        except ValueError as exc:
            raise AuthorizeRejected("portal.error.bad_request") from exc
        if values != {"response_type": "code", "scope": "all", "service": "initService"}:
            raise AuthorizeRejected("portal.error.bad_request")
        if state is not None and len(state) > 512:
            raise AuthorizeRejected("portal.error.bad_request")
        # OpenAM, which the platform is built on, knows `prompt=login` (re-authenticate);
        # no other value is known to mean anything to it.
        if prompt not in (None, "login"):
            raise AuthorizeRejected("portal.error.bad_request")
        return PortalRequest(
            client_id=client.client_id,
            redirect_uri=redirect_uri,
            state=state,
            force_login=prompt == "login",
        )

    def issue_code(self, request: PortalRequest, useridcode: str, level: Level) -> str:
        code = str(uuid.uuid4())
        issued = IssuedCode(request.client_id, request.redirect_uri, useridcode, level)
        self.codes.put(code, issued, self._config.lifetimes.portal_code)
        return code

    def redeem(self, params: Mapping[str, list[str]]) -> dict[str, Any]:
        """The `access_token` endpoint: query or form parameters → token response."""
        try:
            p = {
                name: _single(params, name)
                for name in (
                    "client_id",
                    "client_secret",
                    "code",
                    "grant_type",
                    "redirect_uri",
                    "scope",
                )
            }
        except ValueError as exc:
            raise TokenError(INVALID_REQUEST, f"repeated parameter {exc}") from exc
        missing = [name for name, value in p.items() if not value]
        if missing:
            raise TokenError(INVALID_REQUEST, "missing " + ", ".join(missing))
        client = self._config.portal_client(p["client_id"] or "")
        if client is None or not _secret_matches(client, p["client_secret"] or ""):
            raise TokenError(INVALID_CLIENT, "client authentication failed")
        if p["grant_type"] != "authorization_code":
            raise TokenError(UNSUPPORTED_GRANT_TYPE, "grant_type must be authorization_code")
        if p["scope"] != "all":
            raise TokenError(INVALID_SCOPE, "scope must be all")
        # Taken before the remaining checks: a code presented wrongly is spent all the same.
        issued = self.codes.take(p["code"] or "")
        if issued is None:
            raise TokenError(INVALID_GRANT, "code is invalid, expired or already used")
        if issued.client_id != client.client_id or issued.redirect_uri != p["redirect_uri"]:
            raise TokenError(
                INVALID_GRANT,
                "code was issued to another client or redirect_uri",
                CODE_NOT_FOR_CLIENT,
            )
        token = str(uuid.uuid4())
        lifetime = self._config.lifetimes.portal_access_token
        expires_at = self._clock() + lifetime
        issued_token = IssuedToken(client.client_id, issued.useridcode, issued.level, expires_at)
        self.tokens.put(token, issued_token, lifetime + _EXPIRED_TOKEN_MEMORY)
        return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime}

    def tokeninfo(self, access_token: str | None) -> dict[str, Any]:
        if not access_token:
            return {"errcode": TOKENINFO_INVALID, "errmsg": "access_token missing"}
        issued = self.tokens.get(access_token)
        if issued is None:
            return {"errcode": TOKENINFO_INVALID, "errmsg": "invalid access_token"}
        remaining = issued.expires_at - self._clock()
        if remaining <= 0:
            return {"errcode": TOKENINFO_EXPIRED, "errmsg": "access_token expired"}
        account = self._accounts.by_useridcode(issued.useridcode)
        if account is None:
            return {"errcode": TOKENINFO_INVALID, "errmsg": "account no longer exists"}
        idcardtype = self._config.document_codes.code(account.document)
        info = {
            "errcode": 0,
            "errmsg": "ok",
            "access_token": access_token,
            "expires_in": int(remaining),
            "userobj": account.userobj(level=issued.level, idcardtype=idcardtype),
        }
        if issued.scope is not None:
            info.update(client_id=issued.client_id, scope=issued.scope)
        return info

    def logout_target(self, redirect_uri: str | None) -> str | None:
        """Where logout may send the browser: only to a registered redirect URI."""
        if redirect_uri is None:
            return None
        registered = {uri for c in self._config.portal_clients for uri in c.redirect_uris}
        if redirect_uri in registered:
            return redirect_uri
        logout_uris = {u for c in self._config.portal_clients for u in c.logout_redirect_uris}
        return redirect_uri if redirect_uri.split("?", 1)[0] in logout_uris else None
