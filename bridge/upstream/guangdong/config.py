"""Configuration of the Guangdong platform connector: what the platform registered for
the bridge as a client of its tif OAuth2 dialect."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bridge.model import LocalizedText

DISPLAY_NAME = LocalizedText(
    en="Guangdong Unified Identity Authentication",
    zh_hant="廣東省統一身份認證",
    zh_hans="广东省统一身份认证",
)


def _base_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class GuangdongConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["guangdong"] = "guangdong"
    display_name: LocalizedText = Field(
        DISPLAY_NAME, description="How residents' pages name this identity provider."
    )
    browser_base_url: str = Field(
        description="Where the resident's browser is sent to sign in (the platform's public "
        "host, e.g. https://tyrz.gd.gov.cn)."
    )
    api_base_url: str = Field(
        description="Back-channel host for access_token and tokeninfo; differs from "
        "browser_base_url when the bridge reaches the platform through another network."
    )
    client_id: str = Field(min_length=1, description="client_id the platform registered.")
    client_secret: SecretStr = Field(description="client_secret the platform registered.")
    redirect_uri: str | None = Field(
        None,
        description="The bridge's callback, registered with the platform exactly; filled "
        "in as issuer + /callback/<name>.",
    )
    timeout_seconds: float = Field(
        10.0, gt=0, le=60, description="Limit for each back-channel call, from start to end."
    )

    @field_validator("browser_base_url", "api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return _base_url(value)
