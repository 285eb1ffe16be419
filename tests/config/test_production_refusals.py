"""`BRIDGE_ENV=production` refuses each unsafe setting, through the real `bridge` command:
`config check` names it and exits 2, and `serve` never starts listening.

Each test starts from a production set-up that `config check` accepts and makes exactly
one thing unsafe, so the refusal can only come from that one setting."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.config.production import (
    REPO,
    ProductionSetUp,
    production_env,
    write_production_kek,
)
from tests.support.ports import free_port


def bridge(
    env: dict[str, str], *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def key_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Production signing keys (encrypted) and a production KEK, made once."""
    root = tmp_path_factory.mktemp("production-keys")
    env = {k: v for k, v in production_env(root).items() if k != "BRIDGE_REDIS_URL"}
    made = bridge(env, "keys", "generate")  # the file lock: no Redis needed
    assert made.returncode == 0, made.stderr
    write_production_kek(root / "keys")
    return root / "keys"


@pytest.fixture
def production(tmp_path: Path, key_template: Path) -> ProductionSetUp:
    shutil.copytree(key_template, tmp_path / "keys")
    return ProductionSetUp(tmp_path, production_env(tmp_path))


def refused(production: ProductionSetUp, env: dict[str, str]) -> str:
    result = bridge(env, "config", "check")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stderr


def test_the_production_baseline_is_accepted(production: ProductionSetUp) -> None:
    result = bridge(production.env, "config", "check")
    assert result.returncode == 0, result.stderr
    assert "configuration OK" in result.stdout


def test_production_refuses_the_development_iamsmart_kek(production: ProductionSetUp) -> None:
    production.use_development_kek()
    problems = refused(production, production.env)
    assert "upstream iamsmart: kek_private_key_file" in problems
    assert "is a development key" in problems


def test_production_refuses_an_http_issuer_even_on_loopback(production: ProductionSetUp) -> None:
    problems = refused(production, production.changed(BRIDGE_ISSUER="http://127.0.0.1:8000"))
    assert "BRIDGE_ISSUER http://127.0.0.1:8000 must use https in production" in problems


@pytest.mark.parametrize(
    ("variable", "field", "upstream"),
    [
        ("IAMSMART_API_URL", "api_base_url", "iamsmart"),
        ("IAMSMART_PUBLIC_URL", "browser_base_url", "iamsmart"),
        ("GUANGDONG_API_URL", "api_base_url", "guangdong"),
        ("GUANGDONG_PUBLIC_URL", "browser_base_url", "guangdong"),
    ],
)
def test_production_refuses_a_plain_http_upstream_url(
    production: ProductionSetUp, variable: str, field: str, upstream: str
) -> None:
    problems = refused(production, production.changed(**{variable: "http://10.0.0.7:8001"}))
    assert f"upstream {upstream}: {field} http://10.0.0.7:8001 must use https" in problems


@pytest.mark.parametrize(
    ("variable", "upstream"),
    [("IAMSMART_CLIENT_SECRET", "iamsmart"), ("GUANGDONG_BRIDGE_UPSTREAM_SECRET", "guangdong")],
)
def test_production_refuses_a_short_upstream_client_secret(
    production: ProductionSetUp, variable: str, upstream: str
) -> None:
    problems = refused(production, production.changed(**{variable: "x"}))
    assert (
        f"upstream {upstream}: client_secret is 1 characters; production needs at least 16"
        in problems
    )
    assert "'x'" not in problems  # the secret itself is never printed


@pytest.mark.parametrize("variable", ["BRIDGE_PAIRWISE_SALT", "BRIDGE_STORE_KEY"])
def test_production_refuses_a_short_bridge_secret(
    production: ProductionSetUp, variable: str
) -> None:
    problems = refused(production, production.changed(**{variable: "short"}))
    assert f"{variable} must be at least 32 characters" in problems


def test_the_kek_follows_bridge_keys_dir(production: ProductionSetUp, tmp_path: Path) -> None:
    """No IAMSMART_KEK_PRIVATE_KEY_FILE: the KEK is read from BRIDGE_KEYS_DIR, wherever
    that is, not from ./keys of the working directory."""
    moved = tmp_path / "elsewhere"
    production.keys_dir.rename(moved)
    accepted = bridge(production.changed(BRIDGE_KEYS_DIR=str(moved)), "config", "check")
    assert accepted.returncode == 0, accepted.stderr
    (moved / "iamsmart-kek.pem").unlink()
    problems = refused(production, production.changed(BRIDGE_KEYS_DIR=str(moved)))
    assert f"kek_private_key_file: {moved / 'iamsmart-kek.pem'} does not exist" in problems
    assert "PEM" not in problems, "a missing file is not a malformed key"


def test_serve_refuses_to_start_with_an_unsafe_setting(production: ProductionSetUp) -> None:
    production.use_development_kek()
    port = free_port()
    result = bridge(production.env, "serve", "--host", "127.0.0.1", "--port", str(port))
    assert result.returncode == 2
    assert "is a development key" in result.stderr
    with socket.socket() as probe:  # it never listened: the port is still free
        probe.bind(("127.0.0.1", port))


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ("IAMSMART_CLIENT_SECRET", "upstream iamsmart uses a development secret"),
        ("GUANGDONG_BRIDGE_UPSTREAM_SECRET", "upstream guangdong uses a development secret"),
        ("BRIDGE_REDIS_URL", "BRIDGE_REDIS_URL is required"),
        ("BRIDGE_KEYS_ENCRYPTION_KEY", "BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE) is required"),
        ("BRIDGE_PAIRWISE_SALT", "BRIDGE_PAIRWISE_SALT is the development placeholder"),
        ("BRIDGE_STORE_KEY", "BRIDGE_STORE_KEY is the development placeholder"),
    ],
)
def test_production_refuses_a_setting_left_at_its_development_default(
    production: ProductionSetUp, variable: str, expected: str
) -> None:
    assert expected in refused(production, production.changed(**{variable: None}))


def test_production_refuses_a_short_key_encryption_key(production: ProductionSetUp) -> None:
    problems = refused(production, production.changed(BRIDGE_KEYS_ENCRYPTION_KEY="short"))
    assert "BRIDGE_KEYS_ENCRYPTION_KEY must be at least 32 characters" in problems


def test_production_refuses_a_development_client(production: ProductionSetUp) -> None:
    clients = Path(production.env["BRIDGE_CLIENTS_FILE"])
    clients.write_text(
        clients.read_text().replace(
            "  - client_id: gd-platform-dev\n",
            "  - client_id: gd-platform-dev\n    development: true\n",
        )
    )
    problems = refused(production, production.env)
    assert "client gd-platform-dev: a development client is refused outside development" in problems
