"""Registered downstream clients (`config/clients.yaml`, or `BRIDGE_CLIENTS_FILE`).

Redirect URIs are compared by exact string match (RFC 6749 §3.1.2.3, OAuth 2.0
Security BCP §4.1.1): no prefix, no wildcard, no normalisation beyond none at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bridge.assurance import Level
from bridge.model import LocalizedText
from bridge.provider.token_exchange_config import ClientExchangePolicy
from bridge.signing.keys import Algorithm
from bridge.tokens.key_sources import parse_jwks
from bridge.wire import GRANT_AUTHORIZATION_CODE, GRANT_DEVICE_CODE, SCOPE_OFFLINE_ACCESS
from bridge.yamlconfig import describe_validation_error, read_yaml

AuthMethod = Literal["client_secret_basic", "client_secret_post", "private_key_jwt"]
_SECRET_METHODS = frozenset({"client_secret_basic", "client_secret_post"})
LOCALES = ("en", "zh-Hant", "zh-Hans")
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Kiosk(BaseModel):
    """A self-service kiosk signing residents in with the device grant (RFC 8628): the
    phone's confirmation page names where it stands, so a resident can tell their own
    kiosk from a code someone sent them (the cross-device flows BCP,
    RFC 10027)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    location: LocalizedText


class Client(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    name: LocalizedText
    client_secret_sha256: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="Hex SHA-256 of the client secret. Secrets are server-generated with "
        "256 bits of entropy (`bridge clients new-secret`), so a fast digest compared in "
        "constant time is safe storage; a slow password hash would only cap throughput.",
    )
    token_endpoint_auth_methods: tuple[AuthMethod, ...] = (
        "client_secret_basic",
        "client_secret_post",
    )
    redirect_uris: tuple[str, ...] = Field(
        (), description="Required, except for a kiosk (which never receives a redirect)."
    )
    grant_types: tuple[str, ...] = Field(
        (GRANT_AUTHORIZATION_CODE,),
        description="A kiosk lists urn:ietf:params:oauth:grant-type:device_code.",
    )
    kiosk: Kiosk | None = Field(
        None, description="Set for a kiosk client: where it stands, in each language."
    )
    allowed_scopes: tuple[str, ...] = ("openid",)
    allowed_claims: tuple[str, ...] = ()
    sector_identifier: str | None = Field(
        None, description="Clients sharing a sector get the same pairwise `sub`."
    )
    upstreams: tuple[str, ...] = Field(
        min_length=1,
        description="Identity providers (names in the upstreams file) residents may use to "
        "sign in to this client; with more than one, a request picks one with `idp_hint` "
        "or the resident chooses.",
    )
    minimum_acr: Level | None = Field(
        None,
        description="The weakest assurance level (L0-L3) a sign-in must have for this "
        "client; weaker ones end in unmet_authentication_requirements.",
    )
    downstream: str = Field(
        pattern=r"^[a-z0-9_-]{1,32}$",
        description="Which jurisdiction's claims the client receives: the `downstream` of "
        "the claim rule files that map each of its upstreams (config/claims/).",
    )
    purpose: LocalizedText
    jurisdiction: LocalizedText
    contact: str | None = Field(
        None,
        max_length=200,
        description="How a resident reaches the recipient about their information (an "
        "address or URL); the consent page shows it where PIPL Art. 39 asks for it.",
    )
    processing: LocalizedText | None = Field(
        None,
        description="How the recipient processes the information (PIPL Art. 39's "
        "'method of processing'); required for clients receiving data from the Mainland.",
    )
    legal_basis: LocalizedText | None = Field(
        None,
        description="The documented legal basis for receiving claims that require one "
        "(an identity document number).",
    )
    development: bool = Field(False, description="A demo client, refused in production.")
    jwks: dict[str, Any] | None = Field(
        None, description="private_key_jwt: the client's public keys, inline (RFC 7591 §2)."
    )
    jwks_uri: str | None = Field(None, description="private_key_jwt: where its keys are.")
    token_exchange: ClientExchangePolicy | None = Field(
        None, description="What it may do with the token exchange grant (RFC 8693)."
    )
    id_token_signed_response_alg: Algorithm = Field(
        "RS256",
        description="Algorithm of its ID tokens (OIDC Registration §2; RS256 by default, as "
        "every certified library expects unless told otherwise).",
    )
    post_logout_redirect_uris: tuple[str, ...] = Field(
        (),
        description="Where RP-Initiated Logout may send the browser afterwards (exact "
        "match, like redirect_uris).",
    )
    backchannel_logout_uri: str | None = Field(
        None,
        description="Where the bridge POSTs a logout token when a session it took part "
        "in ends (OIDC Back-Channel Logout 1.0 §2.2).",
    )
    backchannel_logout_session_required: bool = Field(
        False, description="The client needs `sid` in logout tokens (it always gets it)."
    )
    userinfo_signed_response_alg: Algorithm | None = Field(
        None,
        description="When set, UserInfo answers with a JWT signed with this algorithm "
        "(`application/jwt`, OIDC Core §5.3.2); unset: plain JSON.",
    )

    @model_validator(mode="after")
    def _kiosk_or_redirects(self) -> Client:
        device = GRANT_DEVICE_CODE in self.grant_types
        if device != (self.kiosk is not None):
            raise ValueError("a kiosk block and the device_code grant type go together")
        if self.kiosk is None and not self.redirect_uris:
            raise ValueError("redirect_uris: at least one is required")
        if self.kiosk is not None and SCOPE_OFFLINE_ACCESS in self.allowed_scopes:
            raise ValueError("a kiosk is shared by strangers: it may not hold offline_access")
        return self

    @property
    def is_kiosk(self) -> bool:
        return self.kiosk is not None and GRANT_DEVICE_CODE in self.grant_types

    @model_validator(mode="after")
    def _credentials_for_each_method(self) -> Client:
        methods = set(self.token_endpoint_auth_methods)
        if methods & _SECRET_METHODS and self.client_secret_sha256 is None:
            raise ValueError("client_secret_sha256 is required for client_secret_* methods")
        if "private_key_jwt" in methods and (self.jwks is None) == (self.jwks_uri is None):
            raise ValueError("private_key_jwt needs exactly one of jwks and jwks_uri")
        if self.jwks is not None:
            _, problems = parse_jwks(self.jwks)
            if problems:
                raise ValueError("jwks: " + "; ".join(problems))
        return self

    @property
    def offline_access(self) -> bool:
        """May hold refresh tokens (OIDC Core §11)."""
        return SCOPE_OFFLINE_ACCESS in self.allowed_scopes

    @field_validator("redirect_uris", "post_logout_redirect_uris")
    @classmethod
    def _absolute_without_fragment(cls, uris: tuple[str, ...]) -> tuple[str, ...]:
        for uri in uris:
            parts = urlsplit(uri)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f"{uri!r} is not an absolute http(s) URI")
            if parts.fragment or "#" in uri:
                raise ValueError(f"{uri!r} has a fragment (RFC 6749 §3.1.2)")
        return uris

    @field_validator("backchannel_logout_uri")
    @classmethod
    def _backchannel_absolute(cls, uri: str | None) -> str | None:
        # §2.2: absolute, no fragment; a query is allowed
        if uri is not None and _absolute_without_fragment_one(uri) is None:
            raise ValueError(f"{uri!r} is not an absolute http(s) URI without a fragment")
        return uri

    @property
    def signing_algorithms(self) -> tuple[Algorithm, ...]:
        """The algorithms it chose for what the bridge signs for it."""
        chosen = (self.id_token_signed_response_alg, self.userinfo_signed_response_alg)
        return tuple(a for a in dict.fromkeys(chosen) if a is not None)

    @property
    def sector(self) -> str:
        return self.sector_identifier or self.client_id

    def insecure_redirect_uris(self) -> list[str]:
        return [
            uri
            for uri in self.redirect_uris
            if uri.startswith("http://") and (urlsplit(uri).hostname or "") not in _LOOPBACK
        ]


def _absolute_without_fragment_one(uri: str) -> str | None:
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https") or not parts.netloc or "#" in uri:
        return None
    return uri


class ClientRegistry:
    """The configured clients (the YAML file), and those registered through the API
    (RFC 7591), which a refresh keeps in memory here: `get` is on every request's path,
    so it never waits for the store. A configured client_id always wins."""

    def __init__(self, clients: Mapping[str, Client]) -> None:
        self._clients = dict(clients)
        self._registered: dict[str, Client] = {}

    def get(self, client_id: str) -> Client | None:
        return self._clients.get(client_id) or self._registered.get(client_id)

    def is_configured(self, client_id: str) -> bool:
        """Listed in the configuration file: never changed through the API."""
        return client_id in self._clients

    def adopt_registered(self, clients: Mapping[str, Client]) -> None:
        self._registered = {k: v for k, v in clients.items() if k not in self._clients}

    def add_registered(self, client: Client) -> None:
        if client.client_id not in self._clients:
            self._registered = {**self._registered, client.client_id: client}

    def remove_registered(self, client_id: str) -> None:
        self._registered = {k: v for k, v in self._registered.items() if k != client_id}

    def __iter__(self) -> Iterator[Client]:
        return iter([*self._clients.values(), *self._registered.values()])

    def __len__(self) -> int:
        return len(self._clients) + len(self._registered)


def load_clients(path: Path, env: Mapping[str, str]) -> tuple[ClientRegistry, list[str]]:
    """Each client is validated on its own, so one broken entry hides no other's problems."""
    tree, problems = read_yaml(path, env)
    if tree is None:
        return ClientRegistry({}), problems
    entries = tree.get("clients") if isinstance(tree, dict) else None
    if not isinstance(entries, list):
        return ClientRegistry({}), [*problems, f"{path}: expected a list under 'clients'"]
    clients: dict[str, Client] = {}
    for index, entry in enumerate(entries):
        try:
            client = Client.model_validate(entry)
        except ValidationError as exc:
            problems += describe_validation_error(exc, f"{path}: clients.{index}")
            continue
        if client.client_id in clients:
            problems.append(f"{path}: client_id {client.client_id!r} is registered twice")
        clients[client.client_id] = client
    return ClientRegistry(clients), problems
