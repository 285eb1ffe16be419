"""What a client would receive for a test persona: the developer's view of the rules.

`bridge claims preview` and the golden tests (tests/claims/golden/clients/) use this.
Persona data is read from the mock iAM Smart's fixture file as plain YAML — the bridge
never imports the mock, it only reads the same data the mock serves.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bridge.claims.mapper import ClaimMapper
from bridge.claims.policy import release_set
from bridge.claims.sources import VOCABULARIES
from bridge.errors import ConfigError
from bridge.model import UpstreamIdentity
from bridge.yamlconfig import parse_yaml

PERSONA_FILES = {
    "iamsmart": Path("mock_idps/iamsmart/personas.yaml"),
    "guangdong": Path("mock_idps/guangdong/accounts.yaml"),
}
"""Upstream type → the mock's persona fixture file, read as data."""


def load_personas(path: Path, upstream: str = "iamsmart") -> dict[str, UpstreamIdentity]:
    """Persona id → the identity the upstream would return."""
    if upstream == "guangdong":
        return _guangdong_personas(path)
    if upstream != "iamsmart":
        raise ConfigError(str(path), [f"no persona reader for {upstream}"])
    return _iamsmart_personas(path)


def _guangdong_personas(path: Path) -> dict[str, UpstreamIdentity]:
    """The Mainland residents' `userobj` as the Guangdong connector hands it on: the mock
    platform's account fields, a person (`usertype` 1) holding a 居民身份证 (`idcardtype`
    10), `extproperties` as an object without its unknown (`-1`) values."""
    try:
        tree = parse_yaml(path.read_text(encoding="utf-8"))
        identities = {}
        for entry in tree["mainland_residents"]:
            level = str(entry["creditable_level_of_account"])
            extra = {k: str(v) for k, v in entry.get("extproperties", {}).items() if v != "-1"}
            attributes = {
                **{k: str(v) for k, v in entry.items() if k != "extproperties"},
                "usertype": "1",
                "idcardtype": "10",
                "isreal": "false" if level == "L0" else "true",
                "extproperties": extra,
            }
            identities[str(entry["uid"])] = UpstreamIdentity(
                idp="guangdong", subject=str(entry["useridcode"]), attributes=attributes
            )
        return identities
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError) as exc:
        raise ConfigError(str(path), [f"cannot read personas: {exc!r}"]) from exc


def _iamsmart_personas(path: Path) -> dict[str, UpstreamIdentity]:
    """The profile fields plus `userType` and `lastModifiedDate`, which come with the
    token."""
    try:
        tree = parse_yaml(path.read_text(encoding="utf-8"))
        entries = tree["personas"]
        return {
            str(entry["id"]): UpstreamIdentity(
                idp="iamsmart",
                subject=f"persona:{entry['id']}",
                attributes={
                    **entry.get("profile", {}),
                    "userType": entry["userType"],
                    "lastModifiedDate": entry["lastModifiedDate"],
                },
            )
            for entry in entries
        }
    except (OSError, yaml.YAMLError, KeyError, TypeError) as exc:
        raise ConfigError(str(path), [f"cannot read personas: {exc!r}"]) from exc


@dataclass(frozen=True, slots=True)
class Preview:
    userinfo: dict[str, Any]
    """Claims released for the client's scopes (UserInfo), by its own rules."""
    id_token: dict[str, Any]
    """Session claims every ID token carries."""
    profile_fields: tuple[str, ...]
    """What the bridge asks iAM Smart for, for this client."""
    not_produced: tuple[str, ...]
    """Claims the client may receive that this persona's profile does not yield."""
    upstream: str = "iamsmart"

    @property
    def upstream_name(self) -> str:
        vocabulary = VOCABULARIES.get(self.upstream)
        return vocabulary.display_name if vocabulary else self.upstream

    def as_golden(self) -> dict[str, Any]:
        return {
            "userinfo": self.userinfo,
            "id_token": self.id_token,
            f"asks_{self.upstream}_for": list(self.profile_fields),
        }


def preview(
    mapper: ClaimMapper,
    identity: UpstreamIdentity,
    *,
    client_id: str,
    allowed_claims: Collection[str],
    allowed_scopes: Collection[str],
) -> Preview:
    """The most the client can receive: every scope it is allowed, narrowed by its
    `allowed_claims` (the release policy), produced by its rules."""
    released = release_set(allowed_claims, allowed_scopes, mapper)
    claims = mapper.map(identity, released, client_id=client_id)
    session = mapper.map(identity, mapper.session_claims, client_id=client_id)
    order = [name for name in mapper.claims if name in released]
    return Preview(
        userinfo=claims,
        id_token=session,
        profile_fields=mapper.source_fields(released, client_id=client_id),
        not_produced=tuple(name for name in order if name not in claims),
        upstream=mapper.rules.upstream,
    )
