"""Configuration of the mock kiosk (`config.yaml`, `${VAR:-default}` substitutions)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator

from mock_idps._config import load_yaml
from mock_idps._oidc_rp import ProviderSettings, http_url

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_PATH = PACKAGE_DIR / "config.yaml"


class KioskConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    public_url: str
    title: str
    bridge: ProviderSettings

    @field_validator("public_url")
    @classmethod
    def _public_is_url(cls, value: str) -> str:
        return http_url(value)

    def back_channel(self, path: str) -> str:
        base = self.bridge.internal_url or self.bridge.issuer
        return f"{base}{path}"


def load_config(path: Path | None = None, env: Mapping[str, str] | None = None) -> KioskConfig:
    path = path or DEFAULT_CONFIG_PATH
    tree = load_yaml(path, os.environ if env is None else env)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return KioskConfig.model_validate(tree)
