"""What a new operator reads from `bridge`: a version, a client table without secrets,
key commands whose output is not interleaved with JSON log lines, and help texts that
show their defaults and whole sentences."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bridge import __version__
from tests.config.production import REPO


def bridge(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `bridge` with stdout and stderr on one stream, as a terminal shows them."""
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "80", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
    )


def test_version() -> None:
    result = bridge("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"bridge {__version__}"


def test_the_command_starts_without_the_server_the_store_driver_or_the_app() -> None:
    """`bridge keys list` or `--version` is an operator's quick check: the command loads
    uvicorn, redis-py, FastAPI and the audit chain only for the commands that use them
    (they were half of every command's 0.4 s start)."""
    probe = "import sys, bridge.cli; print(*sorted(set(sys.modules) & set(sys.argv[1:])))"
    heavy = ["uvicorn", "redis", "fastapi", "starlette", "psycopg", "jinja2", "structlog"]
    result = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe, *heavy],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == []


def test_clients_list_is_a_table_of_what_an_operator_checks_without_secrets() -> None:
    result = bridge("clients", "list", BRIDGE_ENV="development")
    assert result.returncode == 0, result.stdout
    header, *rows = [line.split() for line in result.stdout.splitlines() if "  " in line]
    assert header == ["CLIENT_ID", "KIND", "NAME", "UPSTREAMS", "DOWNSTREAM", "GRANT_TYPES"]
    by_id = {row[0]: row for row in rows}
    assert by_id["hk-eservice-dev"][-3:] == ["guangdong,iamsmart", "hongkong", "authorization_code"]
    assert by_id["yss-backend-dev"][-1] == "authorization_code,refresh_token,token-exchange"
    shipped = (REPO / "config/clients.yaml").read_text()
    digests = [
        line.split(":")[1].strip() for line in shipped.splitlines() if "secret_sha256:" in line
    ]
    assert digests and not any(d in result.stdout for d in digests)

    listed = json.loads(bridge("clients", "list", "--json", BRIDGE_ENV="development").stdout)
    assert {"client_id", "name", "upstreams", "downstream", "grant_types"} <= set(listed[0])
    assert not any("secret" in key for row in listed for key in row)


def test_key_commands_print_human_output_without_json_log_lines(tmp_path: Path) -> None:
    env = {"BRIDGE_ENV": "development", "BRIDGE_KEYS_DIR": str(tmp_path / "keys")}
    for command in (("generate",), ("rotate", "--force")):
        result = bridge("keys", *command, **env)
        assert result.returncode == 0, result.stdout
        assert "KID" in result.stdout
        assert not [line for line in result.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize(
    ("command", "shown"),
    [
        (("demo",), "[default: 8000]"),
        (("serve",), "[default: 0.0.0.0]"),
        (("keys", "rotate"), "[default: BRIDGE_KEYS_DIR, else keys]"),
        (("claims", "check"), "(default: BRIDGE_CLAIMS_DIR or config/claims)"),
    ],
)
def test_help_shows_defaults(command: tuple[str, ...], shown: str) -> None:
    result = bridge(*command, "--help")
    assert result.returncode == 0
    assert shown in " ".join(result.stdout.split())


@pytest.mark.parametrize("group", [(), ("keys",), ("clients",), ("claims",), ("audit",)])
def test_command_lists_end_in_whole_sentences(group: tuple[str, ...]) -> None:
    listing = bridge(*group, "--help").stdout.split("Commands:")[1]
    assert "..." not in listing, listing
