"""The platform as an OpenID Connect relying party of the bridge.

OIDC Core 1.0 §3.1 (authorization code flow), RFC 7636 (PKCE, S256), RFC 9207 (`iss`
in the authorization response), OIDC Discovery 1.0. The protocol steps are Authlib's
own (`prepare_grant_uri`, `create_s256_code_challenge`, `ClientAuth` for
client_secret_basic, `CodeIDToken` for the ID token rules) and joserfc for the
signature, unmodified: if the bridge deviates from the standards, an independent
library notices. Authlib's httpx integration is not used because Authlib 1.9 marks it
deprecated; the same core pieces are driven over the injected `httpx.AsyncClient`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import (
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.errors import InvalidKeyIdError, JoseError

from mock_idps.guangdong.config import BridgeSettings
from mock_idps.guangdong.id_token import validate_id_token

log = logging.getLogger(__name__)

_DECLINED = frozenset({"access_denied", "consent_required", "interaction_required"})
_UNAVAILABLE = frozenset({"temporarily_unavailable", "server_error"})


class BridgeSignInError(Exception):
    """The sign-in through the bridge did not complete.

    `kind` picks what the resident is told (`declined`, `unavailable`, `failed`);
    the message is for the log only and never holds personal data.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class AuthorizationStart:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class BridgeIdentity:
    """Who the bridge says signed in: its pairwise `sub`, `acr` and userinfo claims."""

    subject: str
    acr: str | None
    claims: Mapping[str, Any] = field(repr=False)


class BridgeClient:
    """Discovery, the authorization URL, and completing the callback."""

    def __init__(
        self,
        settings: BridgeSettings,
        redirect_uri: str,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        metadata_lifetime: float = 300,
    ) -> None:
        self._settings = settings
        self._redirect_uri = redirect_uri
        self._http = http
        self._clock = clock
        self._metadata_lifetime = metadata_lifetime
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None

    @property
    def issuer(self) -> str:
        return self._settings.issuer

    def _back_channel(self, url: str) -> str:
        """Where this container reaches a bridge URL published for browsers."""
        internal = self._settings.internal_url
        issuer = self._settings.issuer
        if internal and (url == issuer or url.startswith(issuer + "/")):
            return internal + url[len(issuer) :]
        return url

    async def _get_json(self, url: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.get(self._back_channel(url), **kwargs)
        except httpx.HTTPError as exc:
            raise BridgeSignInError("unavailable", f"GET {url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise BridgeSignInError("unavailable", f"GET {url}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise BridgeSignInError("failed", f"GET {url}: not JSON") from exc

    async def metadata(self) -> dict[str, Any]:
        """The bridge's discovery document, cached for a while (OIDC Discovery §4)."""
        now = self._clock()
        if self._metadata is not None and now - self._metadata_at < self._metadata_lifetime:
            return self._metadata
        url = f"{self.issuer}/.well-known/openid-configuration"
        document = await self._get_json(url)
        required = ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint")
        if not isinstance(document, dict) or any(
            not isinstance(document.get(k), str) for k in required
        ):
            raise BridgeSignInError("unavailable", "discovery document incomplete")
        # OIDC Discovery §4.3: the issuer in the document must be the one we asked.
        if document.get("issuer") != self.issuer:
            raise BridgeSignInError("failed", "discovery issuer differs from configuration")
        self._metadata, self._metadata_at = document, now
        return document

    async def _key_set(self, refresh: bool = False) -> dict[str, Any]:
        if self._jwks is None or refresh:
            document = await self._get_json((await self.metadata())["jwks_uri"])
            if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
                raise BridgeSignInError("failed", "JWKS is not a key set")
            self._jwks = document
        return self._jwks

    async def start(self, ui_locales: str | None = None) -> AuthorizationStart:
        """A fresh state, nonce and PKCE verifier, and the URL to send the browser to."""
        metadata = await self.metadata()
        state, nonce, verifier = generate_token(32), generate_token(32), generate_token(64)
        url = prepare_grant_uri(
            metadata["authorization_endpoint"],
            client_id=self._settings.client_id,
            response_type="code",
            redirect_uri=self._redirect_uri,
            scope=self._settings.scopes,
            state=state,
            nonce=nonce,
            code_challenge=create_s256_code_challenge(verifier),
            code_challenge_method="S256",
            ui_locales=ui_locales or None,
        )
        return AuthorizationStart(url=str(url), state=state, nonce=nonce, code_verifier=verifier)

    def check_response(self, params: Mapping[str, str]) -> str:
        """The authorization code, after the checks that need no network.

        The caller has already matched `state` to a flow of this browser.
        """
        # RFC 9207 §2.4: a response from another issuer is a mix-up attack, whether it
        # carries a code or an error, so `iss` is compared before anything is trusted.
        if params.get("iss") != self.issuer:
            raise BridgeSignInError("failed", "authorization response iss mismatch or missing")
        error = params.get("error")
        if error is not None:
            kind = (
                "declined"
                if error in _DECLINED
                else "unavailable"
                if error in _UNAVAILABLE
                else "failed"
            )
            raise BridgeSignInError(kind, f"bridge returned error={error[:64]!r}")
        code = params.get("code")
        if not code:
            raise BridgeSignInError("failed", "authorization response without code")
        return code

    async def complete(
        self, params: Mapping[str, str], *, nonce: str, code_verifier: str
    ) -> BridgeIdentity:
        """Redeem the code, verify the ID token, fetch userinfo (OIDC Core §3.1.3, §5.3)."""
        code = self.check_response(params)
        metadata = await self.metadata()
        tokens = await self._redeem(metadata["token_endpoint"], code, code_verifier)
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        claims = await self._verify(tokens, nonce, algorithms)
        userinfo = await self._get_json(
            metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        # OIDC Core §5.3.2: userinfo about anyone else must not be used.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise BridgeSignInError("failed", "userinfo sub differs from the ID token")
        acr = claims.get("acr")
        return BridgeIdentity(
            subject=str(claims["sub"]),
            acr=acr if isinstance(acr, str) else None,
            claims=userinfo,
        )

    async def _redeem(self, endpoint: str, code: str, code_verifier: str) -> dict[str, Any]:
        body = prepare_token_request(
            "authorization_code",
            code=code,
            redirect_uri=self._redirect_uri,
            code_verifier=code_verifier,
        )
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        }
        auth = ClientAuth(
            self._settings.client_id,
            self._settings.client_secret.get_secret_value(),
            "client_secret_basic",
        )
        _, headers, body = auth.prepare("POST", endpoint, headers, body)
        try:
            response = await self._http.post(
                self._back_channel(endpoint), content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise BridgeSignInError("unavailable", f"token: {type(exc).__name__}") from exc
        try:
            tokens = response.json()
        except ValueError as exc:
            raise BridgeSignInError("unavailable", f"token: HTTP {response.status_code}") from exc
        if response.status_code != 200 or not isinstance(tokens, dict):
            error = tokens.get("error") if isinstance(tokens, dict) else None
            raise BridgeSignInError("failed", f"token: HTTP {response.status_code} {error!r}")
        token_type = tokens.get("token_type")
        if not (
            isinstance(tokens.get("access_token"), str)
            and isinstance(tokens.get("id_token"), str)
            and isinstance(token_type, str)
            and token_type.lower() == "bearer"
        ):
            raise BridgeSignInError("failed", "token response lacks a bearer or ID token")
        return tokens

    async def _verify(
        self, tokens: Mapping[str, Any], nonce: str, algorithms: Sequence[str]
    ) -> dict[str, Any]:
        def verify(jwks: Mapping[str, Any]) -> dict[str, Any]:
            return validate_id_token(
                tokens["id_token"],
                jwks=jwks,
                issuer=self.issuer,
                client_id=self._settings.client_id,
                nonce=nonce,
                algorithms=algorithms,
                now=int(self._clock()),
                access_token=tokens["access_token"],
            )

        try:
            try:
                return verify(await self._key_set())
            except InvalidKeyIdError:
                return verify(await self._key_set(refresh=True))
        except (JoseError, ValueError) as exc:
            raise BridgeSignInError("failed", f"ID token rejected: {type(exc).__name__}") from exc
