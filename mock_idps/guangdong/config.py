"""Configuration of the mock Guangdong platform (`config.yaml`, validated at start-up).

The same file serves the demo (loopback URLs), docker compose and tests: every value
that differs between them comes from a `${VAR:-default}` substitution.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from mock_idps._config import load_yaml
from mock_idps._oidc_rp import ProviderSettings, http_url
from mock_idps.guangdong.accounts import DocumentCodes

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_PATH = PACKAGE_DIR / "config.yaml"
DEFAULT_ACCOUNTS_PATH = PACKAGE_DIR / "accounts.yaml"

LoginMethod = Literal["platform", "iamsmart"]
"""`platform`: the platform's own login (Mainland residents); `iamsmart`: through the bridge."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class BridgeSettings(ProviderSettings):
    """This platform as an OpenID Connect client of the bridge."""

    scopes: str = "openid profile phone email"


class PortalClient(_Model):
    """A portal that signs its users in through this platform's own OAuth2 dialect."""

    client_id: str
    client_secret: SecretStr
    redirect_uris: tuple[str, ...] = Field(min_length=1)
    name: str = ""
    logout_redirect_uris: tuple[str, ...] = Field(
        default=(),
        description="Where the logout URL may send the browser back to, compared without "
        "the query (a bridge adds one of its own to continue its logout).",
    )
    login_methods: tuple[LoginMethod, ...] = Field(
        default=("iamsmart", "platform"),
        min_length=1,
        description=(
            "How its users may sign in. The bridge, also a client of the dialect (for "
            "Mainland residents), must not be offered iAM Smart: that sign-in goes "
            "through the bridge and would come back to it."
        ),
    )


class Lifetimes(_Model):
    """Seconds."""

    session: int = Field(default=1800, gt=0)
    login_flow: int = Field(default=600, gt=0, description="iAM Smart sign-in in progress")
    binding: int = Field(default=600, gt=0, description="the 回乡证 form after sign-in")
    portal_code: int = Field(default=60, gt=0, description="a tif authorization code")
    portal_access_token: int = Field(default=1800, gt=0)
    discovery_cache: int = Field(default=300, gt=0)


class JwtBearerSettings(_Model):
    """The RFC 7523 §2.1 grant through which the bridge obtains platform tokens."""

    scopes: tuple[str, ...] = Field(default=("all",), min_length=1)
    max_assertion_lifetime: int = Field(default=300, gt=0, le=3600)


class GuangdongConfig(_Model):
    public_url: str
    bridge: BridgeSettings
    portal_clients: tuple[PortalClient, ...] = ()
    lifetimes: Lifetimes = Lifetimes()
    jwt_bearer: JwtBearerSettings = JwtBearerSettings()
    test_controls: bool = False
    session_secret: SecretStr = Field(description="Key for CSRF tokens; at least 32 characters.")
    accounts_file: Path = DEFAULT_ACCOUNTS_PATH
    document_codes: DocumentCodes = DocumentCodes()
    binding_attempts: int = Field(default=5, gt=0, description="wrong 回乡证 entries per sign-in")

    @field_validator("public_url")
    @classmethod
    def _public_is_url(cls, value: str) -> str:
        return http_url(value)

    @field_validator("session_secret")
    @classmethod
    def _long_secret(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @model_validator(mode="after")
    def _unique_portal_ids(self) -> GuangdongConfig:
        ids = [client.client_id for client in self.portal_clients]
        if len(ids) != len(set(ids)):
            raise ValueError("portal client_id values must be unique")
        return self

    @property
    def oidc_redirect_uri(self) -> str:
        return f"{self.public_url}/oidc/callback"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def portal_client(self, client_id: str) -> PortalClient | None:
        return next((c for c in self.portal_clients if c.client_id == client_id), None)

    def uses_development_secrets(self) -> bool:
        secrets = [self.bridge.client_secret, self.session_secret]
        secrets += [client.client_secret for client in self.portal_clients]
        return any("CHANGE-ME" in s.get_secret_value() for s in secrets)


def parse_config(tree: Mapping[str, Any], base_dir: Path = PACKAGE_DIR) -> GuangdongConfig:
    data = dict(tree)
    accounts = data.get("accounts_file")
    # A relative accounts file is next to the config file, not the working directory.
    if accounts and not Path(accounts).is_absolute():
        data["accounts_file"] = base_dir / accounts
    return GuangdongConfig.model_validate(data)


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> GuangdongConfig:
    path = path or DEFAULT_CONFIG_PATH
    tree = load_yaml(path, os.environ if env is None else env)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return parse_config(tree, path.resolve().parent)
