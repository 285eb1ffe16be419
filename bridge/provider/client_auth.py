"""Client authentication at the token, introspection and revocation endpoints, exactly
one method per request (RFC 6749 §2.3):

- `client_secret_basic` and `client_secret_post` (RFC 6749 §2.3.1). Secrets are compared
  as SHA-256 digests with `hmac.compare_digest`; an unknown client costs the same
  comparison as a known one, so timing tells nothing about which exist.
- `private_key_jwt` (RFC 7523 §2.2 and §3, OIDC Core §9): a JWT the client signed with
  a key from its registered `jwks` or `jwks_uri`; `iss` = `sub` = client_id, `aud` the
  bridge (its issuer or token endpoint, and nothing else), short-lived, and each `jti`
  accepted once.

A failure is `invalid_client` (401); with Basic it carries `WWW-Authenticate`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from urllib.parse import unquote_plus

import httpx
from joserfc.errors import JoseError
from joserfc.jws import extract_compact

from bridge.clock import Clock
from bridge.errors import InvalidClientError, InvalidRequestError
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.early_reads import Prefetched
from bridge.store.records import ReplayCache
from bridge.throttle import CLIENT_AUTH, Throttle
from bridge.tokens.external_jwt import Expectations, verify_jwt
from bridge.tokens.jose_rules import JwtRejected, PublicKey
from bridge.tokens.key_sources import InlineKeys, KeySource, RemoteJwks, parse_jwks
from bridge.wire import (
    AUTH_CLIENT_SECRET_BASIC,
    AUTH_CLIENT_SECRET_POST,
    AUTH_PRIVATE_KEY_JWT,
    CLIENT_ASSERTION_TYPE_JWT_BEARER,
    JWT_TYPE_ACCESS_TOKEN,
)

BASIC_CHALLENGE = 'Basic realm="gba-bridge", charset="UTF-8"'
_UNKNOWN_CLIENT_DIGEST = "0" * 64
CLIENT_ASSERTION_ALGORITHMS = ("ES256", "ES384", "PS256", "PS384", "RS256", "EdDSA")
"""RS256 for clients that can do nothing else; the bridge itself signs ES256."""


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _parse_basic(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, non-ASCII text, UnicodeDecodeError: all ValueErrors
        raise InvalidClientError(
            "Malformed Basic credentials", www_authenticate=BASIC_CHALLENGE
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("Malformed Basic credentials", www_authenticate=BASIC_CHALLENGE)
    # §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def _uses_basic(authorization: str | None) -> bool:
    return authorization is not None and authorization[:6].lower() == "basic "


def authenticate_client(
    authorization: str | None, form: Mapping[str, str], clients: ClientRegistry
) -> Client:
    """client_secret_basic or client_secret_post."""
    uses_basic = _uses_basic(authorization)
    challenge = BASIC_CHALLENGE if uses_basic or "client_secret" not in form else None
    if uses_basic and "client_secret" in form:
        raise InvalidRequestError("Use one client authentication method, not two (RFC 6749 2.3)")
    if uses_basic:
        assert authorization is not None  # noqa: S101 - implied by uses_basic
        client_id, secret = _parse_basic(authorization)
        method = AUTH_CLIENT_SECRET_BASIC
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequestError("client_id in the body differs from the authenticated one")
    elif "client_secret" in form:
        client_id, secret = form.get("client_id", ""), form["client_secret"]
        method = AUTH_CLIENT_SECRET_POST
    else:
        raise InvalidClientError(
            "Client authentication is required", www_authenticate=BASIC_CHALLENGE
        )
    client = clients.get(client_id)
    expected = (client.client_secret_sha256 if client else None) or _UNKNOWN_CLIENT_DIGEST
    matches = hmac.compare_digest(secret_digest(secret), expected)
    if client is None or not matches or method not in client.token_endpoint_auth_methods:
        raise InvalidClientError(
            detail=f"authentication failed for client_id {client_id[:64]!r} via {method}",
            www_authenticate=challenge,
        )
    return client


def claimed_client_id(authorization: str | None, form: Mapping[str, str]) -> str | None:
    """Which client a request says it is, before any of it is verified (None: it does
    not say, or not legibly)."""
    if _uses_basic(authorization):
        assert authorization is not None  # noqa: S101 - implied by _uses_basic
        try:
            return _parse_basic(authorization)[0]
        except InvalidClientError:
            return None
    if "client_id" in form:
        return form["client_id"]
    if "client_assertion" in form:
        try:
            return _unverified_issuer(form["client_assertion"])
        except InvalidClientError:
            return None
    return None


def _unverified_issuer(assertion: str) -> str:
    """Which client the assertion claims to come from; verified afterwards."""
    try:
        payload = json.loads(extract_compact(assertion.encode("ascii")).payload)
    except (JoseError, ValueError, UnicodeError):
        raise InvalidClientError("The client assertion is malformed") from None
    iss = payload.get("iss") if isinstance(payload, dict) else None
    if not isinstance(iss, str) or not iss:
        raise InvalidClientError("The client assertion has no iss claim")
    return iss


class ClientAuthenticator:
    def __init__(
        self,
        clients: ClientRegistry,
        *,
        issuer: str,
        replay: ReplayCache,
        http: httpx.AsyncClient,
        clock: Clock,
        jwks_ttl: float,
        max_lifetime: int,
        leeway: int,
        throttle: Throttle,
    ) -> None:
        self._throttle = throttle
        self._clients = clients
        self._issuer = issuer
        self._replay = replay
        self._clock = clock
        self._max_lifetime = max_lifetime
        self._leeway = leeway
        self._keys: dict[str, KeySource] = {}
        for client in clients:
            if client.jwks is not None:
                keys: tuple[PublicKey, ...] = parse_jwks(client.jwks)[0]
                self._keys[client.client_id] = InlineKeys(keys)
            elif client.jwks_uri is not None:
                self._keys[client.client_id] = RemoteJwks(
                    client.jwks_uri, http, clock, ttl=jwks_ttl
                )

    @property
    def token_endpoint(self) -> str:
        return f"{self._issuer}/token"

    def throttle_key(self, authorization: str | None, form: Mapping[str, str]) -> str | None:
        """The store key of this request's throttle check (None: nothing to read), for a
        caller that reads it together with its own keys and passes it as `blocked`."""
        return self._throttle.blocked_key(CLIENT_AUTH, claimed_client_id(authorization, form))

    async def authenticate(
        self,
        authorization: str | None,
        form: Mapping[str, str],
        *,
        endpoint: str,
        blocked: Prefetched | None = None,
    ) -> Client:
        """The authenticated client of a request to `endpoint` (its URL). Failures are
        counted per claimed client; over the limit, nothing is checked until the window
        ends (so a guessed secret is never confirmed). `blocked`: the value at
        `throttle_key`, already read by the caller."""
        claimed = claimed_client_id(authorization, form)
        if blocked is None:
            await self._throttle.check(CLIENT_AUTH, claimed)
        else:
            self._throttle.refuse_if_blocked(CLIENT_AUTH, blocked.value)
        try:
            return await self._authenticate(authorization, form, endpoint)
        except InvalidClientError:
            await self._throttle.failed(CLIENT_AUTH, claimed)
            raise

    async def _authenticate(
        self, authorization: str | None, form: Mapping[str, str], endpoint: str
    ) -> Client:
        if "client_assertion" not in form and "client_assertion_type" not in form:
            return authenticate_client(authorization, form, self._clients)
        if _uses_basic(authorization) or "client_secret" in form:
            raise InvalidRequestError(
                "Use one client authentication method, not two (RFC 6749 2.3)"
            )
        if form.get("client_assertion_type") != CLIENT_ASSERTION_TYPE_JWT_BEARER:
            raise InvalidClientError("client_assertion_type must be jwt-bearer (RFC 7523 2.2)")
        assertion = form.get("client_assertion") or ""
        client_id = _unverified_issuer(assertion)
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequestError("client_id differs from the client assertion's issuer")
        client = self._clients.get(client_id)
        source = self._keys.get(client_id)
        if (
            client is None
            or source is None
            or AUTH_PRIVATE_KEY_JWT not in client.token_endpoint_auth_methods
        ):
            raise InvalidClientError(
                detail=f"no private_key_jwt client {client_id[:64]!r}",
            )
        await self._verify(client, source, assertion, endpoint)
        return client

    async def _verify(
        self, client: Client, source: KeySource, assertion: str, endpoint: str
    ) -> None:
        now = int(self._clock.now())
        expect = Expectations(
            issuer=client.client_id,
            audiences={self._issuer, self.token_endpoint, endpoint},
            algorithms=CLIENT_ASSERTION_ALGORITHMS,
            leeway=self._leeway,
            max_lifetime=self._max_lifetime,
            require_jti=True,
            exclusive_audience=True,
            forbidden_types={JWT_TYPE_ACCESS_TOKEN},
        )
        try:
            _, claims = await verify_jwt(assertion, source, expect, now=now)
        except JwtRejected as rejected:
            raise InvalidClientError(
                f"Client assertion rejected: {rejected.reason}",
                detail=f"client {client.client_id}: {rejected.detail}",
            ) from None
        if claims["sub"] != client.client_id:
            raise InvalidClientError("Client assertion rejected: sub must be the client_id")
        remember = max(int(claims["exp"]) - now + self._leeway, 1)
        if not await self._replay.first_use(
            "client-assertion", f"{client.client_id}\x00{claims['jti']}", remember
        ):
            raise InvalidClientError(
                "Client assertion rejected: its jti was already used",
                detail=f"client {client.client_id}: replayed client assertion",
            )
