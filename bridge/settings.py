"""Process settings, from the environment (`BRIDGE_` prefix) or passed in by tests.

Nothing here is read at import: `create_app(settings)` receives a `Settings`.
Secrets are `SecretStr` so they never print; values that start with `dev-only-` are
development placeholders and are refused outside `BRIDGE_ENV=development`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from annotated_types import Ge, Gt, Le, Lt
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bridge.errors import ConfigError
from bridge.settings_groups import KioskSettings, RateLimitSettings
from bridge.store.redis_url import RedisOptions, parse_redis_url
from bridge.wire import SigningAlgorithm as Algorithm

DEV_MARKER = "dev-only-"
DEFAULT_AUDIT_RETENTION_DAYS = 3 * 365 + 1


class Settings(KioskSettings, RateLimitSettings, BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_", env_nested_delimiter="__", extra="ignore", env_ignore_empty=True
    )

    env: Literal["development", "production"] = Field(
        "production",
        description="`development` accepts the marked development keys and secrets "
        "(used by `bridge demo`); anything else refuses them.",
    )
    issuer: str = Field(
        "http://127.0.0.1:8000",
        description="The bridge's public base URL; the `iss` of every token it signs.",
    )
    redis_url: str | None = Field(
        None,
        description="redis:// or rediss:// (one node), redis+sentinel://host:port,host:port"
        "/service_name/db (Sentinel) or redis+cluster://host:port,host:port (Cluster). Unset: "
        "the in-process memory store (one instance only; development only).",
    )
    redis_connect_timeout: float = Field(
        2.0, gt=0, description="Seconds to open a connection to a Redis node."
    )
    redis_socket_timeout: float = Field(2.0, gt=0, description="Seconds to wait for a reply.")
    redis_retries: int = Field(
        10,
        ge=1,
        description="Times a command is re-sent after a connection error, with backoff from "
        "50 ms doubling to BRIDGE_REDIS_RETRY_BACKOFF_CAP: the default rides out a Sentinel "
        "failover of about 7 s; longer outages answer 503. At least 1: a pooled connection "
        "that died with a Redis restart is re-sent once on a fresh one, not answered 503.",
    )
    redis_retry_backoff_cap: float = Field(
        1.0, gt=0, description="Longest wait between two retries, seconds."
    )
    database_url: str | None = Field(
        None,
        description="postgresql://user:password@host:port/db for the records that must "
        "outlive Redis: the audit trail, remembered consents and dynamically registered "
        "clients (`bridge db upgrade` "
        "creates the schema). Unset: they live in the store of BRIDGE_REDIS_URL (or memory).",
    )
    audit_retention_days: int = Field(
        DEFAULT_AUDIT_RETENTION_DAYS,
        ge=1,
        description="Days an audit record is kept in PostgreSQL before `bridge audit prune` "
        "may delete it (a sealed checkpoint at the cut keeps the rest verifiable). Default "
        "three years and a day: PIPL art. 56 asks records of personal-information handling "
        "to be kept at least three years, the longest period that applies to this trail "
        "(the Cybersecurity Law's six months for network logs is shorter).",
    )
    clients_file: Path = Field(Path("config/clients.yaml"), description="Registered clients.")
    upstreams_file: Path = Field(
        Path("config/upstreams.yaml"), description="Upstream identity providers."
    )
    claims_dir: Path = Field(
        Path("config/claims"),
        description="Claim mapping rules: every *.yaml file there, one per direction "
        "(`upstream` → `downstream`).",
    )
    keys_dir: Path = Field(Path("keys"), description="Signing keys and the iAM Smart KEK.")
    pairwise_salt: SecretStr = Field(
        SecretStr("dev-only-pairwise-salt-CHANGE-ME"),
        description="Secret mixed into pairwise subject identifiers; changing it changes "
        "every `sub` the bridge has ever issued.",
    )
    store_key: SecretStr = Field(
        SecretStr("dev-only-store-key-CHANGE-ME"),
        description="Secret from which the AES-256-GCM key sealing every stored record is "
        "derived (at least 32 characters in production).",
    )
    code_ttl: int = Field(60, ge=1, le=60, description="Authorization code lifetime, seconds.")
    flow_ttl: int = Field(
        1080,
        ge=60,
        description="How long a sign-in may stay at the upstream IdP, seconds "
        "(iAM Smart gives up after 18 minutes).",
    )
    consent_ttl: int = Field(600, ge=30, description="How long the consent page stays valid.")
    consent_memory_ttl: int = Field(
        90 * 86400,
        ge=0,
        description="How long a consent the resident asks the bridge to remember lasts, "
        "seconds; the consent page offers it in whole days (under a day: not offered). A "
        "request for any claim the remembered consent does not cover asks again.",
    )
    session_ttl: int = Field(
        8 * 3600,
        ge=60,
        description="How long a bridge session (what logout ends) lives after the last "
        "sign-in in it, seconds.",
    )
    backchannel_timeout: float = Field(
        5.0, gt=0, description="Seconds a client has to answer a back-channel logout POST."
    )
    backchannel_retry_base: float = Field(
        10.0,
        gt=0,
        description="First retry of a failed back-channel logout after this many seconds, "
        "doubling each time.",
    )
    backchannel_max_attempts: int = Field(
        8, ge=1, description="Back-channel logout attempts before it is recorded as failed."
    )
    backchannel_poll_interval: float = Field(
        1.0, gt=0, description="How often the delivery worker looks for due deliveries."
    )
    account_session_ttl: int = Field(
        900,
        ge=60,
        description="How long the resident's own sign-in to the consent page (/consents) "
        "lasts, seconds.",
    )
    access_token_ttl: int = Field(600, ge=30, description="Access token lifetime, seconds.")
    id_token_ttl: int = Field(600, ge=30, description="ID token lifetime, seconds.")
    jwks_max_age: int = Field(
        300,
        ge=0,
        description="Cache-Control max-age of the JWKS, seconds. A next key is published "
        "at least this plus BRIDGE_KEYS_REFRESH_INTERVAL before it signs.",
    )
    keys_algorithm: Algorithm = Field(
        "ES256",
        description="The algorithm the bridge signs with where no client or audience "
        "chose one (its own access tokens, its RFC 7523 assertions): ES256, RS256, EdDSA "
        "(RFC 8037) or Ed25519 (RFC 9864). Always enabled.",
    )
    keys_algorithms: Annotated[tuple[Algorithm, ...], NoDecode] = Field(
        (),
        description="Further algorithms with signing keys, comma-separated, that clients "
        "may choose for their ID tokens and UserInfo; RS256 is always enabled (OIDC "
        "Discovery §3). Each enabled algorithm has its own active, next and retired keys.",
    )
    keys_rotation_period: int = Field(
        7 * 86400,
        ge=0,
        description="How long a key signs before automatic rotation, seconds; 0 turns "
        "automatic rotation off (`bridge keys rotate` only).",
    )
    keys_refresh_interval: int = Field(
        10,
        ge=1,
        le=3600,
        description="How often each instance re-reads the shared key set, seconds: the "
        "bound on how long a rotation takes to reach every instance.",
    )
    keys_encryption_key: SecretStr | None = Field(
        None,
        description="Key-encryption key for private signing keys at rest (at least 32 "
        "characters); required outside development, unless given as a file.",
    )
    keys_encryption_key_file: Path | None = Field(
        None,
        description="File holding the key-encryption key (a mounted secret), instead of "
        "BRIDGE_KEYS_ENCRYPTION_KEY.",
    )
    token_exchange_file: Path = Field(
        Path("config/token_exchange.yaml"),
        description="Token exchange (RFC 8693): trusted subject-token issuers and the "
        "audiences a token can be exchanged for.",
    )
    refresh_token_ttl: int = Field(
        43200, ge=60, description="Lifetime of one refresh token, seconds (each use rotates it)."
    )
    refresh_token_absolute_ttl: int = Field(
        604800,
        ge=60,
        description="Absolute lifetime of a refresh-token family from sign-in, seconds; "
        "rotation never extends it.",
    )
    exchanged_token_ttl: int = Field(
        300, ge=30, description="Lifetime of access tokens issued by token exchange, seconds."
    )
    client_assertion_max_lifetime: int = Field(
        300,
        ge=30,
        le=3600,
        description="Longest lifetime (exp - iat) accepted for a private_key_jwt client "
        "assertion or an external subject token's jti window, seconds.",
    )
    outbound_assertion_ttl: int = Field(
        60, ge=10, le=300, description="Lifetime of the bridge's RFC 7523 grant assertions."
    )
    remote_jwks_ttl: int = Field(
        300, ge=0, description="How long a fetched client or issuer JWKS is cached, seconds."
    )
    jwt_clock_skew: int = Field(
        30, ge=0, le=300, description="Clock difference tolerated on JWTs from others, seconds."
    )
    registration_enabled: bool = Field(
        False,
        description="Dynamic Client Registration (RFC 7591, RFC 7592) at /register, for "
        "holders of an initial access token (`bridge clients issue-registration-token`).",
    )
    registration_upstreams: Annotated[tuple[str, ...], NoDecode] = Field(
        ("iamsmart",),
        description="Identity providers residents use to sign in to registered clients "
        "(comma-separated upstream names).",
    )
    registration_downstream: str = Field(
        "guangdong", description="Whose claims registered clients receive (config/claims/)."
    )
    registration_registrar_jwks_file: Path | None = Field(
        None,
        description="JWK Set of the registrars whose software statements (RFC 7591 §2.3) "
        "are accepted; unset: a software statement is refused as unapproved.",
    )
    registration_refresh_interval: int = Field(
        5,
        ge=1,
        le=300,
        description="How often each instance re-reads the registered clients, seconds: how "
        "long a client registered at another instance may stay unknown here.",
    )
    upstream_timeout: float = Field(10.0, gt=0, description="Back-channel call timeout, s.")
    metrics_port: int | None = Field(
        None,
        ge=1,
        le=65535,
        description="Port of a separate listener serving only /metrics (`bridge serve "
        "--metrics-port`), on BRIDGE_METRICS_HOST; unset: no metrics listener.",
    )
    metrics_host: str = Field(
        "127.0.0.1",
        description="Interface of the metrics listener: loopback by default; a private "
        "network address where Prometheus runs elsewhere, never a public one.",
    )
    metrics_public: bool = Field(
        False,
        description="Also serve /metrics on the public listener (off: it answers 404 "
        "there). Only behind a gateway that refuses /metrics itself.",
    )
    log_level: str = Field("INFO", description="Log level.")
    log_format: Literal["json", "console"] = Field("json", description="Log line format.")

    @field_validator("redis_url")
    @classmethod
    def _redis_url_names_a_topology(cls, value: str | None) -> str | None:
        if value is not None:
            parse_redis_url(value)  # ValueError says what is wrong
        return value

    def redis_options(self) -> RedisOptions:
        return RedisOptions(
            connect_timeout=self.redis_connect_timeout,
            socket_timeout=self.redis_socket_timeout,
            retries=self.redis_retries,
            backoff_cap=self.redis_retry_backoff_cap,
        )

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("issuer must be an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("issuer must not have a query or fragment (OIDC Discovery §3)")
        return value.rstrip("/")

    @field_validator("keys_algorithms", "registration_upstreams", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def enabled_algorithms(self) -> tuple[Algorithm, ...]:
        """Every algorithm with a lane of keys; the default (`keys_algorithm`) first."""
        return tuple(dict.fromkeys((self.keys_algorithm, "RS256", *self.keys_algorithms)))

    @property
    def development(self) -> bool:
        return self.env == "development"

    @property
    def secure_cookies(self) -> bool:
        return self.issuer.startswith("https://")

    def production_problems(self) -> list[str]:
        """Settings that are acceptable for a demo but not for a real deployment."""
        if self.development:
            return []
        problems = []
        for name in ("pairwise_salt", "store_key"):
            secret: SecretStr = getattr(self, name)
            value = secret.get_secret_value()
            if value.startswith(DEV_MARKER):
                problems.append(f"BRIDGE_{name.upper()} is the development placeholder")
            elif len(value) < 32:
                problems.append(f"BRIDGE_{name.upper()} must be at least 32 characters")
        if not self.issuer.startswith("https://"):
            # Even on loopback: behind a TLS gateway an http issuer puts http URLs in
            # discovery and tokens, and cookies lose their Secure flag.
            problems.append(
                f"BRIDGE_ISSUER {self.issuer} must use https in production (the public URL "
                "clients and residents' browsers use)"
            )
        if self.redis_url is None:
            problems.append(
                "BRIDGE_REDIS_URL is required: the memory store cannot be shared by instances"
            )
        return problems


_KINDS = {int: "a whole number", float: "a number", bool: "true or false"}


def _accepts(name: str) -> str:
    """What a numeric setting accepts, as an operator reads it ("a whole number, at
    least 1 and at most 60"); empty where pydantic's message already says it."""
    field = Settings.model_fields.get(name)
    if field is None or field.annotation not in _KINDS:
        return ""
    limits = []
    for item in field.metadata:
        if isinstance(item, Ge):
            limits.append(f"at least {item.ge}")
        elif isinstance(item, Gt):
            limits.append(f"more than {item.gt}")
        elif isinstance(item, Le):
            limits.append(f"at most {item.le}")
        elif isinstance(item, Lt):
            limits.append(f"less than {item.lt}")
    kind = _KINDS[field.annotation]
    return f"{kind}, {' and '.join(limits)}" if limits else kind


def describe_settings_error(error: ValidationError) -> list[str]:
    """One line per malformed variable, named as the operator set it (BRIDGE_CODE_TTL,
    not code_ttl), with what it accepts; the value itself is not repeated (it may be a
    secret)."""
    lines = []
    for item in error.errors():
        name = str(item["loc"][0]) if item["loc"] else ""
        accepts = _accepts(name)
        message = item["msg"].removeprefix("Value error, ")
        lines.append(
            f"BRIDGE_{name.upper()}: {message}" + (f"; accepts {accepts}" if accepts else "")
        )
    return lines


def settings_from_environment(**overrides: object) -> Settings:
    """The settings from BRIDGE_* variables (and `overrides`); a malformed variable is a
    `ConfigError` naming it, never a traceback."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError("settings", describe_settings_error(exc)) from None
