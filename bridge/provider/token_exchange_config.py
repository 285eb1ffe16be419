"""Token exchange configuration (RFC 8693): which issuers' JWTs the bridge accepts as
subject or actor tokens, what a token can be exchanged for, and (in `clients.yaml`)
what each client may do. `config/token_exchange.yaml`, or `BRIDGE_TOKEN_EXCHANGE_FILE`.

A *target* is one audience a token can be exchanged for:

- `kind: bridge` — the bridge mints its own access token (RFC 9068) for that audience;
- `kind: jwt_bearer` — the bridge obtains the token from another authorization server
  with a bridge-signed assertion, RFC 7523 §2.1, naming the resident's pairwise `sub` at
  that server's sector (the client for it is injected by the composition root).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bridge.signing.keys import Algorithm
from bridge.tokens.jose_rules import AsymmetricAlgorithm, PublicKey
from bridge.tokens.key_sources import parse_jwks
from bridge.yamlconfig import describe_validation_error, read_yaml

BRIDGE_ISSUER_NAME = "bridge"
"""How a client policy names the bridge itself among the issuers it accepts."""

_ASCII = r"^[ -~]+$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _https_or_loopback(url: str) -> bool:
    return url.startswith("https://") or url.startswith(
        ("http://127.0.0.1", "http://localhost", "http://[::1]")
    )


class ClientExchangePolicy(_Model):
    """`token_exchange:` of a client in clients.yaml: without it a client may not use
    the token exchange grant at all (`unauthorized_client`)."""

    targets: tuple[str, ...] = Field(
        min_length=1, description="Targets (by name) this client may ask for."
    )
    default_target: str | None = Field(
        None, description="Used when a request names no audience and no resource."
    )
    subject_issuers: tuple[str, ...] = Field(
        (BRIDGE_ISSUER_NAME,),
        description="Issuers whose tokens it may present: `bridge` and trusted issuers.",
    )
    subject_clients: tuple[str, ...] = Field(
        (),
        description="Other clients whose bridge tokens it may exchange (default: only "
        "tokens issued to itself).",
    )
    allow_delegation: bool = Field(
        False, description="Whether it may present an actor_token (RFC 8693 §1.1)."
    )

    @model_validator(mode="after")
    def _default_is_a_target(self) -> ClientExchangePolicy:
        if self.default_target is not None and self.default_target not in self.targets:
            raise ValueError("default_target must be one of targets")
        return self


class TrustedIssuer(_Model):
    issuer: str = Field(min_length=1)
    jwks_uri: str | None = None
    jwks: dict[str, Any] | None = None
    algorithms: tuple[AsymmetricAlgorithm, ...] = ("ES256", "RS256")
    audience: str | None = Field(
        None, description="What `aud` must contain; default: the bridge's issuer."
    )
    max_lifetime: int = Field(3600, ge=30, le=86400)
    single_use: bool = Field(
        True, description="Each token (by jti) is accepted once; jti becomes mandatory."
    )

    @model_validator(mode="after")
    def _one_key_source(self) -> TrustedIssuer:
        if (self.jwks_uri is None) == (self.jwks is None):
            raise ValueError("give exactly one of jwks_uri and jwks")
        if self.jwks is not None:
            _, problems = parse_jwks(self.jwks)
            if problems:
                raise ValueError("jwks: " + "; ".join(problems))
        return self

    @property
    def inline_keys(self) -> tuple[PublicKey, ...]:
        return parse_jwks(self.jwks)[0] if self.jwks is not None else ()


class Target(_Model):
    name: str = Field(pattern=r"^[!-~]{1,200}$", description="The `audience` value.")
    resource: str | None = Field(None, description="The `resource` URI (RFC 8707).")
    kind: Literal["bridge", "jwt_bearer"]
    display_name: str = Field(pattern=_ASCII, description="Named in error descriptions.")
    scopes: tuple[str, ...] = Field((), description="Scopes a token for it may carry.")
    sector: str | None = Field(
        None, description="Pairwise sector of the `sub` the target sees (jwt_bearer: required)."
    )
    token_endpoint: str | None = Field(None, description="jwt_bearer: where to POST.")
    assertion_audience: str | None = Field(
        None, description="jwt_bearer: `aud` of the assertion; default: token_endpoint."
    )
    signing_alg: Algorithm | None = Field(
        None,
        description="Algorithm of what the bridge signs for this target (its access "
        "tokens, or the RFC 7523 assertion); default: BRIDGE_KEYS_ALGORITHM. RS256 is "
        "always available (RFC 9068 §4).",
    )

    @model_validator(mode="after")
    def _jwt_bearer_needs_endpoint(self) -> Target:
        if self.kind == "jwt_bearer":
            if not self.token_endpoint or not self.sector or not self.scopes:
                raise ValueError("a jwt_bearer target needs token_endpoint, sector and scopes")
        elif self.token_endpoint or self.assertion_audience:
            raise ValueError("token_endpoint and assertion_audience are for jwt_bearer targets")
        return self

    @property
    def audience_of_assertion(self) -> str:
        return self.assertion_audience or self.token_endpoint or ""


@dataclass(frozen=True)
class ExchangeConfig:
    issuers: Mapping[str, TrustedIssuer] = field(default_factory=dict)
    targets: Mapping[str, Target] = field(default_factory=dict)

    def target_for_audience(self, audience: str) -> Target | None:
        return self.targets.get(audience)

    def target_for_resource(self, resource: str) -> Target | None:
        return next((t for t in self.targets.values() if t.resource == resource), None)


def load_exchange_config(
    path: Path, env: Mapping[str, str], *, production: bool
) -> tuple[ExchangeConfig, list[str]]:
    """The file's issuers and targets; a missing file configures no exchange at all."""
    if not path.exists():
        return ExchangeConfig(), []
    tree, problems = read_yaml(path, env)
    if tree is None:
        return ExchangeConfig(), problems
    if not isinstance(tree, dict) or set(tree) - {"trusted_issuers", "targets"}:
        return ExchangeConfig(), [*problems, f"{path}: expected trusted_issuers and targets"]
    issuers: dict[str, TrustedIssuer] = {}
    for index, entry in enumerate(tree.get("trusted_issuers") or []):
        try:
            issuer = TrustedIssuer.model_validate(entry)
        except ValidationError as exc:
            problems += describe_validation_error(exc, f"{path}: trusted_issuers.{index}")
            continue
        if issuer.issuer in issuers:
            problems.append(f"{path}: issuer {issuer.issuer} is listed twice")
        if production and issuer.jwks_uri and not issuer.jwks_uri.startswith("https://"):
            problems.append(f"{path}: issuer {issuer.issuer}: jwks_uri must use https")
        issuers[issuer.issuer] = issuer
    targets: dict[str, Target] = {}
    for index, entry in enumerate(tree.get("targets") or []):
        try:
            target = Target.model_validate(entry)
        except ValidationError as exc:
            problems += describe_validation_error(exc, f"{path}: targets.{index}")
            continue
        if target.name in targets or target.name == BRIDGE_ISSUER_NAME:
            problems.append(f"{path}: target name {target.name!r} is taken")
        endpoint = target.token_endpoint or ""
        if production and endpoint and not _https_or_loopback(endpoint):
            problems.append(f"{path}: target {target.name}: token_endpoint must use https")
        targets[target.name] = target
    resources = [t.resource for t in targets.values() if t.resource]
    if len(resources) != len(set(resources)):
        problems.append(f"{path}: two targets share a resource URI")
    return ExchangeConfig(issuers=issuers, targets=targets), problems


def policy_problems(
    where: str, policy: ClientExchangePolicy, config: ExchangeConfig, client_ids: set[str]
) -> list[str]:
    """A client policy that names targets, issuers or clients nobody configured."""
    problems = [
        f"{where}: token_exchange target {name!r} is not configured"
        for name in policy.targets
        if name not in config.targets
    ]
    problems += [
        f"{where}: token_exchange subject issuer {name!r} is not a trusted issuer"
        for name in policy.subject_issuers
        if name != BRIDGE_ISSUER_NAME and name not in config.issuers
    ]
    problems += [
        f"{where}: token_exchange subject client {name!r} is not registered"
        for name in policy.subject_clients
        if name not in client_ids
    ]
    return problems


def load_exchange_for_clients(
    path: Path, env: Mapping[str, str], clients: Iterable[Any], *, production: bool
) -> tuple[ExchangeConfig, list[str]]:
    """The exchange file, and every client policy checked against it (and, outside
    development, every client `jwks_uri` against https)."""
    config, problems = load_exchange_config(path, env, production=production)
    registered = list(clients)
    client_ids = {client.client_id for client in registered}
    for client in registered:
        where = f"client {client.client_id}"
        if client.token_exchange is not None:
            problems += policy_problems(where, client.token_exchange, config, client_ids)
        if production and client.jwks_uri and not client.jwks_uri.startswith("https://"):
            problems.append(f"{where}: jwks_uri must use https")
    return config, problems
