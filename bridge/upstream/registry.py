"""Upstream identity providers from `config/upstreams.yaml`: type name → config model and
connector factory (dex's ConnectorsConfig). A new IdP is one entry here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from bridge.clock import Clock
from bridge.upstream.base import Connector
from bridge.upstream.guangdong.config import GuangdongConfig
from bridge.upstream.guangdong.connector import GuangdongConnector
from bridge.upstream.iamsmart.config import IamSmartConfig
from bridge.upstream.iamsmart.connector import IamSmartConnector
from bridge.upstream.iamsmart.kek import KEK_FILE
from bridge.yamlconfig import describe_validation_error, read_yaml


@dataclass(frozen=True)
class UpstreamType:
    config: type[BaseModel]
    connector: Callable[..., Connector]
    key_files: Mapping[str, str] = field(default_factory=dict)
    """Config field → file name in BRIDGE_KEYS_DIR, used where the file names none."""


UPSTREAM_TYPES: dict[str, UpstreamType] = {
    "iamsmart": UpstreamType(IamSmartConfig, IamSmartConnector, {"kek_private_key_file": KEK_FILE}),
    "guangdong": UpstreamType(GuangdongConfig, GuangdongConnector),
}


def callback_uri(issuer: str, name: str) -> str:
    return f"{issuer}/callback/{name}"


def load_upstreams(
    path: Path, env: Mapping[str, str], *, issuer: str, keys_dir: Path = Path("keys")
) -> tuple[dict[str, BaseModel], list[str]]:
    """Each upstream's configuration; a key file left unset (or empty, as an unset
    `${VAR:-}` gives) is looked for in `keys_dir`, so BRIDGE_KEYS_DIR moves it too."""
    tree, problems = read_yaml(path, env)
    if tree is None:
        return {}, problems
    entries = tree.get("upstreams") if isinstance(tree, dict) else None
    if not isinstance(entries, dict) or not entries:
        return {}, [*problems, f"{path}: expected a non-empty mapping under 'upstreams'"]
    configs: dict[str, BaseModel] = {}
    for name, raw in entries.items():
        where = f"{path}: upstreams.{name}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: expected a mapping")
            continue
        kind = UPSTREAM_TYPES.get(str(raw.get("type")))
        if kind is None:
            known = ", ".join(sorted(UPSTREAM_TYPES))
            problems.append(f"{where}.type: unknown type {raw.get('type')!r} (known: {known})")
            continue
        data: dict[str, Any] = {"redirect_uri": callback_uri(issuer, name), **raw}
        for key, file_name in kind.key_files.items():
            if data.get(key) in (None, ""):
                data[key] = keys_dir / file_name
        try:
            configs[name] = kind.config.model_validate(data)
        except ValidationError as exc:
            problems.extend(describe_validation_error(exc, where))
    return configs, problems


def build_connectors(
    configs: Mapping[str, BaseModel], *, http: httpx.AsyncClient, clock: Clock
) -> dict[str, Connector]:
    connectors: dict[str, Connector] = {}
    for name, config in configs.items():
        kind = UPSTREAM_TYPES[str(getattr(config, "type"))]  # noqa: B009 - every config has it
        connectors[name] = kind.connector(name, config, http=http, clock=clock)
    return connectors
