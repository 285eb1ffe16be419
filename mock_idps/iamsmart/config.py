"""Configuration of the mock iAM Smart: registered clients (what ESP holds), timing
settings and test personas (docs/protocols.md §1.1, §1.4, §1.11, §1.13, §4.1).

Client fields keep iAM Smart's own camelCase names (`clientID`, `redirectURIs`) so the
YAML reads like an ESP registration; mock settings are snake_case.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from mock_idps._config import load_yaml

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_CONFIG_FILE = PACKAGE_DIR / "config.yaml"

BROWSER_SOURCES = (
    "PC_Browser",
    "Android_Chrome",
    "Android_Firefox",
    "Android_Edge",
    "Android_Samsung",
    "Android_Huawei",
    "Android_Xiaomi",
    "iOS_Safari",
    "iOS_Chrome",
    "iOS_Firefox",
    "iOS_Edge",
    "Android_IMS_InAppBrowser",
    "iOS_IMS_InAppBrowser",
)
APP_SOURCES = ("App_Scheme", "App_Link", "App_Package")
SOURCES = frozenset(BROWSER_SOURCES + APP_SOURCES)
"""Every `source` value iAM Smart knows (§1.4); a client may be allowed fewer."""

SCOPES = frozenset(
    {
        "eidapi_auth",
        "eidapi_profiles",
        "eidapi_formFilling",
        "eidapi_sign",
        "eidapi_fr",
        "eidapi_bulksign",
        "eidapi_sua",
    }
)
LANGS = ("en-US", "zh-HK", "zh-CN")
DEFAULT_LANG = "zh-HK"

PROFILE_FIELDS = frozenset({"idNo", "enName", "chName", "chNameVerified", "birthDate", "gender"})
EME_FIELDS = frozenset(
    {
        "prefix",
        "maritalStatus",
        "homeTelNumber",
        "officeTelNumber",
        "mobileNumber",
        "emailAddress",
        "residentialAddress",
        "postalAddress",
        "educationLevel",
    }
)


class ClientConfig(BaseModel):
    """One online service as registered in iAM Smart's Self-Service Portal."""

    model_config = ConfigDict(extra="forbid")

    clientID: str = Field(min_length=1)
    clientSecret: SecretStr
    redirectURIs: list[str] = Field(min_length=1)
    scopes: list[str] = Field(min_length=1)
    kekPublicKeyFile: Path = Field(
        description="PEM SubjectPublicKeyInfo of the service's RSA-2048 KEK; a relative "
        "path is taken from the working directory, like the rest of the deployment."
    )
    sources: list[str] = Field(default_factory=lambda: list(BROWSER_SOURCES))

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, scopes: list[str]) -> list[str]:
        unknown = sorted(set(scopes) - SCOPES)
        if unknown:
            raise ValueError(f"unknown scopes {unknown}")
        return scopes

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, sources: list[str]) -> list[str]:
        unknown = sorted(set(sources) - SOURCES)
        if unknown:
            raise ValueError(f"unknown sources {unknown}")
        return sources


class MockSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code_ttl_seconds: int = Field(60, gt=0, description="auth code lifetime (§1.13: 60 or 30)")
    access_token_ttl_ms: int = Field(14_400_000, gt=0)
    cek_expires_in_ms: int = Field(6_000_000, gt=0)
    qr_ticket_ttl_seconds: int = Field(300, gt=0)
    timestamp_skew_seconds: int = Field(300, gt=0)
    test_controls: bool = False
    lenient_content_signature: bool = Field(
        False, description="also accept an HMAC over the `content` string only (Node clients)"
    )
    mock_secret: SecretStr = Field(description="key of the pairwise openID derivation")


class Persona(BaseModel):
    """A test resident; `profile` holds §1.11 shapes exactly as iAM Smart returns them."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    userType: Literal["default", "sign"]
    lastModifiedDate: int = Field(gt=0, description="epoch ms")
    lastModifiedOnEverySignIn: bool = False
    profile: dict[str, Any]

    @field_validator("profile")
    @classmethod
    def _known_fields(cls, profile: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(profile) - PROFILE_FIELDS - EME_FIELDS)
        if unknown:
            raise ValueError(f"unknown profile fields {unknown}")
        return profile

    @property
    def label(self) -> str:
        """What the QR page shows: names only, never the HKIC."""
        en = self.profile.get("enName", {}).get("UnstructuredName", self.id)
        zh = self.profile.get("chName", {}).get("ChineseName")
        return f"{en} {zh}" if zh else str(en)


class MockIamSmartConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    clients: list[ClientConfig] = Field(min_length=1)
    settings: MockSettings
    personas: list[Persona] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> MockIamSmartConfig:
        for kind, ids in (
            ("clientID", [c.clientID for c in self.clients]),
            ("persona id", [p.id for p in self.personas]),
        ):
            if len(ids) != len(set(ids)):
                raise ValueError(f"duplicate {kind}")
        return self


def load_config(
    path: Path = DEFAULT_CONFIG_FILE, *, env: dict[str, str] | None = None
) -> MockIamSmartConfig:
    """Read `config.yaml`; its `personas_file` is taken relative to the config file."""
    tree = load_yaml(path, env)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    personas_file = path.parent / str(tree.pop("personas_file", "personas.yaml"))
    personas = load_yaml(personas_file, env)
    if not isinstance(personas, dict):
        raise ValueError(f"{personas_file}: expected a mapping at the top level")
    return MockIamSmartConfig.model_validate({**tree, "personas": personas.get("personas")})
