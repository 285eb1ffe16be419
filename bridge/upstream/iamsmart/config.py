"""Configuration of the iAM Smart connector (what the bridge registered in ESP,
docs/protocols.md §1.1, §1.7, §1.8)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from bridge.model import LocalizedText

DISPLAY_NAME = LocalizedText(en="iAM Smart", zh_hant="智方便", zh_hans="智方便")
"""iAM Smart's own names for itself, which its UI rules fix."""


def _base_url(value: str) -> str:
    if not value.startswith(("https://", "http://")):
        raise ValueError("must be an http(s) URL")
    return value.rstrip("/")


class IamSmartConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["iamsmart"] = "iamsmart"
    display_name: LocalizedText = Field(
        DISPLAY_NAME, description="How residents' pages name this identity provider."
    )
    browser_base_url: str = Field(
        description="Where the resident's browser is sent for getQR (public host of iAM Smart)."
    )
    api_base_url: str = Field(
        description="Back-channel host for getKey/getToken/profiles; differs from "
        "browser_base_url when the bridge reaches iAM Smart through another network."
    )
    client_id: str = Field(min_length=1, description="clientID issued by iAM Smart's ESP.")
    client_secret: SecretStr = Field(description="clientSecret issued by ESP; HMAC key.")
    kek_private_key_file: Path = Field(
        description="PEM private key (RSA-2048) whose public half was uploaded to ESP as the KEK."
    )
    scopes: tuple[str, ...] = Field(
        ("eidapi_auth", "eidapi_profiles"), min_length=1, description="Scopes asked at getQR."
    )
    redirect_uri: str | None = Field(
        None, description="The bridge's callback; filled in as issuer + /callback/<name>."
    )
    timeout_seconds: float = Field(10.0, gt=0, description="Per back-channel request.")
    signature_body: Literal["raw_body", "content_only"] = Field(
        "raw_body",
        description="What the HMAC covers after the headers: the whole JSON body (Java "
        "clients, the default) or only the encrypted `content` string (Node clients).",
    )

    @field_validator("browser_base_url", "api_base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return _base_url(value)
