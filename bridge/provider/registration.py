"""Dynamic Client Registration (RFC 7591) and its management protocol (RFC 7592).

Off unless `BRIDGE_REGISTRATION_ENABLED`. Registering needs an initial access token
an operator issued (`bridge clients issue-registration-token`, RFC 7591 §3); the answer
carries the client's secret (generated here, returned this once, stored as a digest)
and a registration access token for reading, updating and deleting the registration at
`registration_client_uri` (RFC 7592 §2). Clients from the configuration file have no
registration access token, so the API can never change them.

A `software_statement` (RFC 7591 §2.3) signed by a registrar key the operator
configured is accepted; its claims take precedence over the request's own members.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import structlog
from joserfc import jwt
from joserfc.errors import JoseError

from bridge.clock import Clock
from bridge.errors import (
    InvalidClientMetadataError,
    InvalidSoftwareStatementError,
    InvalidTokenError,
    UnapprovedSoftwareStatementError,
)
from bridge.provider.bearer import challenge
from bridge.provider.client_auth import secret_digest
from bridge.provider.clients import Client, ClientRegistry
from bridge.provider.registration_metadata import (
    RegistrationPolicy,
    client_from_registration,
    normalized,
)
from bridge.store.record_base import digest
from bridge.store.registered_clients import ClientStore, RegisteredClient, RegistrationTokens
from bridge.tokens.jose_rules import (
    ASYMMETRIC_ALGORITHMS,
    JwtRejected,
    PublicKey,
    read_header,
    select_key,
)

log = structlog.get_logger(__name__)

REGISTER_PATH = "/register"
SECRET_METHODS = ("client_secret_basic", "client_secret_post")
SERVER_MEMBERS = (
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
)
"""What the server says, never what a request sets (RFC 7592 §2.2)."""


class Ticker(Protocol):
    async def wait(self, seconds: float) -> None: ...


def _unauthorized(description: str) -> InvalidTokenError:
    error = InvalidTokenError(description)
    error.www_authenticate = challenge(error)
    return error


class Registration:
    def __init__(
        self,
        *,
        issuer: str,
        store: ClientStore,
        tokens: RegistrationTokens,
        registry: ClientRegistry,
        policy: RegistrationPolicy,
        registrar_keys: Sequence[PublicKey],
        clock: Clock,
    ) -> None:
        self._issuer = issuer
        self._store = store
        self._tokens = tokens
        self._registry = registry
        self._policy = policy
        self._registrar_keys = list(registrar_keys)
        self._clock = clock

    # --- RFC 7591 ----------------------------------------------------------------------

    async def register(self, initial_token: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
        registration = normalized(self._with_statement(metadata))
        client_id = "dcr-" + secrets.token_urlsafe(18)
        secret = self._new_secret(registration)
        client = self._client(registration, client_id, secret)
        # The token is spent only for a registration that passed every check.
        if not await self._tokens.spend(initial_token):
            raise _unauthorized("The initial access token is invalid, expired or used up")
        access_token = secrets.token_urlsafe(32)
        record = RegisteredClient(
            client_id=client_id,
            metadata=client.model_dump(mode="json", by_alias=True),
            registration=registration,
            registration_token_sha256=digest(access_token),
            issued_at=int(self._clock.now()),
            written_at=0,
            expires_at=0,
        )
        await self._store.create(record)
        self._registry.add_registered(client)
        log.info("client.registered", client_id=client_id)
        return self._answer(record, access_token, secret)

    def _with_statement(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        statement = metadata.get("software_statement")
        request = {k: v for k, v in metadata.items() if k not in SERVER_MEMBERS}
        if statement is None:
            return request
        claims = self._statement_claims(statement)
        return {**request, **{k: v for k, v in claims.items() if k not in SERVER_MEMBERS}}

    def _statement_claims(self, statement: object) -> dict[str, Any]:
        if not isinstance(statement, str):
            raise InvalidSoftwareStatementError("software_statement must be a JWT")
        try:
            header = read_header(statement, ASYMMETRIC_ALGORITHMS)
        except JwtRejected as rejected:
            raise InvalidSoftwareStatementError(rejected.reason, detail=rejected.detail) from None
        key = select_key(self._registrar_keys, header)
        if key is None:
            raise UnapprovedSoftwareStatementError(
                "The software statement is not signed by a registrar this server trusts"
            )
        try:
            claims = dict(jwt.decode(statement, key, algorithms=[header["alg"]]).claims)
            registry = jwt.JWTClaimsRegistry(now=lambda: int(self._clock.now()), leeway=30)
            registry.validate(claims)
        except (JoseError, ValueError) as exc:
            raise InvalidSoftwareStatementError(
                "The software statement is invalid or expired", detail=str(exc)
            ) from None
        return claims

    def _new_secret(self, registration: Mapping[str, Any]) -> str | None:
        if registration.get("token_endpoint_auth_method") in SECRET_METHODS:
            return secrets.token_urlsafe(32)
        return None

    def _client(
        self, registration: Mapping[str, Any], client_id: str, secret: str | None
    ) -> Client:
        return client_from_registration(
            registration,
            client_id=client_id,
            secret_sha256=secret_digest(secret) if secret is not None else None,
            policy=self._policy,
        )

    def _answer(
        self, record: RegisteredClient, access_token: str | None = None, secret: str | None = None
    ) -> dict[str, Any]:
        """RFC 7591 §3.2.1 / RFC 7592 §3: the registration with the server's members; the
        registration access token and a new secret only when they were just made."""
        body: dict[str, Any] = {
            **record.registration,
            "client_id": record.client_id,
            "client_id_issued_at": record.issued_at,
            "registration_client_uri": f"{self._issuer}{REGISTER_PATH}/{record.client_id}",
        }
        if record.metadata.get("client_secret_sha256"):
            body["client_secret_expires_at"] = 0  # never
        if access_token is not None:
            body["registration_access_token"] = access_token
        if secret is not None:
            body["client_secret"] = secret
        return body

    # --- RFC 7592 ----------------------------------------------------------------------

    async def _authorized(self, client_id: str, access_token: str) -> RegisteredClient:
        """The registration, if `access_token` is its registration access token. Any
        failure — a configured client, an unknown one, a wrong token — is the same 401,
        so nobody learns which client_ids exist (RFC 7592 §2)."""
        record = (
            None if self._registry.is_configured(client_id) else await self._store.get(client_id)
        )
        presented = digest(access_token)
        expected = record.registration_token_sha256 if record is not None else digest("")
        if record is None or not hmac.compare_digest(presented, expected):
            raise _unauthorized("The registration access token is invalid")
        return record

    async def read(self, client_id: str, access_token: str) -> dict[str, Any]:
        return self._answer(await self._authorized(client_id, access_token))

    async def update(
        self, client_id: str, access_token: str, metadata: Mapping[str, Any]
    ) -> dict[str, Any]:
        record = await self._authorized(client_id, access_token)
        if metadata.get("client_id") != client_id:
            raise InvalidClientMetadataError("client_id must be the registered client_id")
        given = metadata.get("client_secret")
        old_digest = record.metadata.get("client_secret_sha256")
        if given is not None and (
            not isinstance(given, str)
            or old_digest is None
            or not hmac.compare_digest(secret_digest(given), old_digest)
        ):
            raise InvalidClientMetadataError("client_secret does not match (RFC 7592 2.2)")
        registration = normalized(self._with_statement(metadata))
        # A secret is kept while a secret method is; one newly chosen gets a first secret.
        secret = self._new_secret(registration) if old_digest is None else None
        kept = secret_digest(secret) if secret is not None else old_digest
        if registration["token_endpoint_auth_method"] not in SECRET_METHODS:
            kept = None
        client = client_from_registration(
            registration, client_id=client_id, secret_sha256=kept, policy=self._policy
        )
        updated = record.model_copy(
            update={
                "metadata": client.model_dump(mode="json", by_alias=True),
                "registration": registration,
            }
        )
        await self._store.replace(updated)
        self._registry.add_registered(client)
        log.info("client.updated", client_id=client_id)
        return self._answer(updated, secret=secret)

    async def delete(self, client_id: str, access_token: str) -> None:
        await self._authorized(client_id, access_token)
        await self._store.delete(client_id)
        self._registry.remove_registered(client_id)
        log.info("client.deleted", client_id=client_id)

    # --- the registry's copy -----------------------------------------------------------

    async def refresh(self) -> int:
        """Adopt every registered client from the store (another instance may have
        registered, changed or deleted one). Returns how many there are."""
        found: dict[str, Client] = {}
        for record in await self._store.all():
            try:
                found[record.client_id] = Client.model_validate(record.metadata)
            except ValueError:
                log.error("client.unreadable_registration", client_id=record.client_id)
        self._registry.adopt_registered(found)
        return len(found)

    async def run(self, ticker: Ticker, interval: float) -> None:
        """The background task: refresh now, then every `interval` seconds."""
        delay = 0.0
        while True:
            await ticker.wait(delay)
            delay = interval
            try:
                await self.refresh()
            except Exception:  # the task must outlive any one failure; it is logged
                log.exception("clients.refresh_failed")
