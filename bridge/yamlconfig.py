"""Reading the YAML files under `config/`, with every problem reported at once.

Files may use compose-style `${VAR:-default}` so one file serves the demo (loopback
URLs), docker compose (service names) and tests (free ports). Substitution runs on the
parsed tree, so a variable's value can never change the YAML structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

import yaml
from pydantic import ValidationError

_VARIABLE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


# libyaml's loader where PyYAML was built with it: the same trees (checked over every
# file under config/ and mock_idps/), parsed ~9x faster (66 -> 7 ms for the 15 files a
# bridge and its mocks read at start-up), which every test that builds an app pays.
SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(stream: str | IO[str]) -> Any:
    """`yaml.safe_load`, on libyaml when it is there."""
    return yaml.load(stream, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader, chosen above


class _Missing(Exception):
    pass


def _expand(node: Any, env: Mapping[str, str], missing: list[str]) -> Any:
    if isinstance(node, dict):
        return {key: _expand(value, env, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [_expand(item, env, missing) for item in node]
    if not isinstance(node, str):
        return node

    def lookup(match: re.Match[str]) -> str:
        value = env.get(match["name"]) or match["default"]
        if value is None:
            missing.append(match["name"])
            return ""
        return value

    return _VARIABLE.sub(lookup, node)


def read_yaml(path: Path, env: Mapping[str, str]) -> tuple[Any, list[str]]:
    """The parsed file with variables substituted, and the problems found on the way."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [f"cannot read {path}: {exc.strerror}"]
    try:
        tree = parse_yaml(text)
    except yaml.YAMLError as exc:
        return None, [f"{path} is not valid YAML: {exc}"]
    missing: list[str] = []
    tree = _expand(tree, env, missing)
    problems = [f"{path}: environment variable {name} is not set" for name in missing]
    return tree, problems


def describe_validation_error(error: ValidationError, prefix: str) -> list[str]:
    """One readable line per pydantic problem, located by its path in the file."""
    lines = []
    for item in error.errors():
        location = ".".join(str(part) for part in item["loc"])
        where = f"{prefix}.{location}" if location else prefix
        lines.append(f"{where}: {item['msg']}")
    return lines
