"""Configuration of the mock Hong Kong e-service (`config.yaml`, validated at start-up).

The same file serves the demo, docker compose and tests: every value that differs
between them comes from a `${VAR:-default}` substitution.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mock_idps._config import load_yaml
from mock_idps._oidc_rp import ProviderSettings, http_url

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_PATH = PACKAGE_DIR / "config.yaml"


class Lifetimes(BaseModel):
    """Seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    session: int = Field(default=1800, gt=0)
    login_flow: int = Field(default=600, gt=0, description="a sign-in at the bridge")
    discovery_cache: int = Field(default=300, gt=0)


class HkEserviceConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    public_url: str
    bridge: ProviderSettings
    lifetimes: Lifetimes = Lifetimes()

    @field_validator("public_url")
    @classmethod
    def _public_is_url(cls, value: str) -> str:
        return http_url(value)

    @property
    def redirect_uri(self) -> str:
        return f"{self.public_url}/oidc/callback"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def uses_development_secret(self) -> bool:
        return "CHANGE-ME" in self.bridge.client_secret.get_secret_value()


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> HkEserviceConfig:
    path = path or DEFAULT_CONFIG_PATH
    tree = load_yaml(path, os.environ if env is None else env)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return HkEserviceConfig.model_validate(tree)
