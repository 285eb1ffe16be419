"""An OpenID Connect relying party of the bridge, shared by the mocks that sign residents
in through it (the Guangdong platform, the Hong Kong e-service).

OIDC Core 1.0 §3.1 (authorization code flow), RFC 7636 (PKCE, S256), RFC 9207 (`iss`
in the authorization response), OIDC Discovery 1.0. The protocol steps are Authlib's
own (`prepare_grant_uri`, `create_s256_code_challenge`, `ClientAuth` for
client_secret_basic, `CodeIDToken` for the ID token rules) and joserfc for the
signature, unmodified: if the bridge deviates from the standards, an independent
library notices. Authlib's httpx integration is not used because Authlib 1.9 marks it
deprecated; the same core pieces are driven over the injected `httpx.AsyncClient`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import (
    prepare_grant_uri,
    prepare_token_request,
)
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc.errors import InvalidKeyIdError, JoseError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from mock_idps._id_token import SAFE_ALGORITHMS, validate_id_token

_DECLINED = frozenset({"access_denied", "consent_required", "interaction_required"})
_UNAVAILABLE = frozenset({"temporarily_unavailable", "server_error"})


def http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class ProviderSettings(BaseModel):
    """A mock as an OpenID Connect client of the bridge (its `bridge:` section)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    issuer: str = Field(description="The bridge's issuer, exactly as in its ID tokens.")
    internal_url: str = Field(
        default="",
        description=(
            "Base URL for back-channel calls (discovery, token, userinfo, JWKS) when the "
            "bridge is reached under another name from here than from the browser."
        ),
    )
    client_id: str
    client_secret: SecretStr
    scopes: str = "openid profile"

    @field_validator("issuer")
    @classmethod
    def _issuer_is_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("internal_url")
    @classmethod
    def _internal_is_url_or_empty(cls, value: str) -> str:
        return http_url(value) if value else ""

    @field_validator("scopes")
    @classmethod
    def _openid_scope(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("must include openid")
        return value


class SignInError(Exception):
    """The sign-in through the bridge did not complete.

    `kind` picks what the resident is told (`declined`, `unavailable`, `failed`);
    `error` is the bridge's own error code when it answered with one (RFC 6749
    §4.1.2.1), for a finer message; the message is for the log only and never holds
    personal data.
    """

    def __init__(self, kind: str, message: str, *, error: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.error = error


@dataclass(frozen=True, slots=True)
class AuthorizationStart:
    url: str
    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who the bridge says signed in: its pairwise `sub`, `acr` and userinfo claims."""

    subject: str
    acr: str | None
    claims: Mapping[str, Any] = field(repr=False)
    id_token_claims: Mapping[str, Any] = field(default_factory=dict, repr=False)
    id_token: str = field(default="", repr=False)
    """Kept for RP-initiated logout (`id_token_hint`)."""


class RelyingParty:
    """Discovery, the authorization URL, and completing the callback.

    `algorithms` is the ID token signing allow-list (intersected with what discovery
    advertises). With `iss_required`, every authorization response must carry `iss`;
    without it, `iss` is required only when discovery advertises it (RFC 9207 §2.4) and
    otherwise checked when present.
    """

    def __init__(
        self,
        settings: ProviderSettings,
        redirect_uri: str,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        metadata_lifetime: float = 300,
        *,
        algorithms: Collection[str] = SAFE_ALGORITHMS,
        iss_required: bool = True,
    ) -> None:
        self._settings = settings
        self._redirect_uri = redirect_uri
        self._http = http
        self._clock = clock
        self._metadata_lifetime = metadata_lifetime
        self._algorithms = frozenset(algorithms) & SAFE_ALGORITHMS
        self._iss_required = iss_required
        self._metadata: dict[str, Any] | None = None
        self._metadata_at = 0.0
        self._jwks: dict[str, Any] | None = None

    @property
    def issuer(self) -> str:
        return self._settings.issuer

    def back_channel(self, url: str) -> str:
        """Where this container reaches a bridge URL published for browsers."""
        internal = self._settings.internal_url
        issuer = self._settings.issuer
        if internal and (url == issuer or url.startswith(issuer + "/")):
            return internal + url[len(issuer) :]
        return url

    async def _get_json(self, url: str, **kwargs: Any) -> Any:
        try:
            response = await self._http.get(self.back_channel(url), **kwargs)
        except httpx.HTTPError as exc:
            raise SignInError("unavailable", f"GET {url}: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise SignInError("unavailable", f"GET {url}: HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError as exc:
            raise SignInError("failed", f"GET {url}: not JSON") from exc

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
            raise SignInError("unavailable", "discovery document incomplete")
        # OIDC Discovery §4.3: the issuer in the document must be the one we asked.
        if document.get("issuer") != self.issuer:
            raise SignInError("failed", "discovery issuer differs from configuration")
        self._metadata, self._metadata_at = document, now
        return document

    async def _key_set(self, refresh: bool = False) -> dict[str, Any]:
        if self._jwks is None or refresh:
            document = await self._get_json((await self.metadata())["jwks_uri"])
            if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
                raise SignInError("failed", "JWKS is not a key set")
            self._jwks = document
        return self._jwks

    async def key_set(self, refresh: bool = False) -> dict[str, Any]:
        """The bridge's JWKS (fetched again with `refresh`: its keys rotate)."""
        return await self._key_set(refresh)

    async def logout_url(
        self, id_token: str, post_logout_redirect_uri: str, state: str, ui_locales: str
    ) -> str | None:
        """RP-Initiated Logout 1.0 §2 at the bridge's `end_session_endpoint`; None
        when the bridge advertises none."""
        endpoint = (await self.metadata()).get("end_session_endpoint")
        if not isinstance(endpoint, str):
            return None
        query = urlencode(
            {
                "id_token_hint": id_token,
                "post_logout_redirect_uri": post_logout_redirect_uri,
                "state": state,
                "ui_locales": ui_locales,
            }
        )
        return f"{endpoint}?{query}"

    async def start(self, ui_locales: str | None = None, **extra: str) -> AuthorizationStart:
        """A fresh state, nonce and PKCE verifier, and the URL to send the browser to.

        `extra` are further authorization parameters (e.g. `idp_hint`).
        """
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
            **extra,
        )
        return AuthorizationStart(url=str(url), state=state, nonce=nonce, code_verifier=verifier)

    def _iss_expected(self) -> bool:
        # The document fetched when the sign-in started; a stale one still says whether
        # the bridge sends `iss`, and reading it needs no network.
        advertised = (self._metadata or {}).get("authorization_response_iss_parameter_supported")
        return self._iss_required or advertised is True

    def check_response(self, params: Mapping[str, str]) -> str:
        """The authorization code, after the checks that need no network.

        The caller has already matched `state` to a flow of this browser.
        """
        # RFC 9207 §2.4: a response from another issuer is a mix-up attack, whether it
        # carries a code or an error, so `iss` is compared before anything is trusted.
        iss = params.get("iss")
        if (iss is not None or self._iss_expected()) and iss != self.issuer:
            raise SignInError("failed", "authorization response iss mismatch or missing")
        error = params.get("error")
        if error is not None:
            kind = (
                "declined"
                if error in _DECLINED
                else "unavailable"
                if error in _UNAVAILABLE
                else "failed"
            )
            raise SignInError(kind, f"bridge returned error={error[:64]!r}", error=error[:64])
        code = params.get("code")
        if not code:
            raise SignInError("failed", "authorization response without code")
        return code

    async def complete(
        self, params: Mapping[str, str], *, nonce: str, code_verifier: str
    ) -> SignedIn:
        """Redeem the code, verify the ID token, fetch userinfo (OIDC Core §3.1.3, §5.3)."""
        code = self.check_response(params)
        metadata = await self.metadata()
        tokens = await self._redeem(metadata["token_endpoint"], code, code_verifier)
        advertised = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [alg for alg in advertised if alg in self._algorithms]
        claims = await self._verify(tokens, nonce, algorithms)
        userinfo = await self._get_json(
            metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        # OIDC Core §5.3.2: userinfo about anyone else must not be used.
        if not isinstance(userinfo, dict) or userinfo.get("sub") != claims["sub"]:
            raise SignInError("failed", "userinfo sub differs from the ID token")
        acr = claims.get("acr")
        return SignedIn(
            subject=str(claims["sub"]),
            acr=acr if isinstance(acr, str) else None,
            claims=userinfo,
            id_token_claims=claims,
            id_token=tokens["id_token"],
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
                self.back_channel(endpoint), content=body, headers=headers
            )
        except httpx.HTTPError as exc:
            raise SignInError("unavailable", f"token: {type(exc).__name__}") from exc
        try:
            tokens = response.json()
        except ValueError as exc:
            raise SignInError("unavailable", f"token: HTTP {response.status_code}") from exc
        if response.status_code != 200 or not isinstance(tokens, dict):
            error = tokens.get("error") if isinstance(tokens, dict) else None
            raise SignInError("failed", f"token: HTTP {response.status_code} {error!r}")
        token_type = tokens.get("token_type")
        if not (
            isinstance(tokens.get("access_token"), str)
            and isinstance(tokens.get("id_token"), str)
            and isinstance(token_type, str)
            and token_type.lower() == "bearer"
        ):
            raise SignInError("failed", "token response lacks a bearer or ID token")
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
            raise SignInError("failed", f"ID token rejected: {type(exc).__name__}") from exc
