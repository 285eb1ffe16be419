"""Start-up refuses a bad configuration and says everything that is wrong at once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bridge.app import create_app
from bridge.errors import ConfigError
from bridge.settings import Settings
from tests.support.dev_keys import development_keys_now

REPO = Path(__file__).resolve().parents[2]


def settings(tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "env": "development",
        "keys_dir": tmp_path / "keys",
        "clients_file": REPO / "config/clients.yaml",
        "upstreams_file": REPO / "config/upstreams.yaml",
        "claims_dir": REPO / "config/claims",
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


def dev_env(tmp_path: Path) -> dict[str, str]:
    return {"IAMSMART_KEK_PRIVATE_KEY_FILE": str(tmp_path / "keys" / "iamsmart-kek.pem")}


async def test_shipped_configuration_starts_in_development(tmp_path: Path) -> None:
    development_keys_now(tmp_path / "keys")
    app = create_app(settings(tmp_path), env=dev_env(tmp_path))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bridge.test") as http:
        discovery = await http.get("/.well-known/openid-configuration")
        keys = await http.get("/jwks.json")
    assert discovery.status_code == 200, discovery.text
    assert discovery.json()["issuer"] == settings(tmp_path).issuer
    assert keys.status_code == 200 and keys.json()["keys"], "signing keys loaded"


def test_production_refuses_every_development_placeholder_at_once(tmp_path: Path) -> None:
    development_keys_now(tmp_path / "keys")
    with pytest.raises(ConfigError) as caught:
        create_app(settings(tmp_path, env="production"), env=dev_env(tmp_path))
    problems = "\n".join(caught.value.problems)
    for expected in (
        "BRIDGE_PAIRWISE_SALT is the development placeholder",
        "BRIDGE_STORE_KEY is the development placeholder",
        "BRIDGE_REDIS_URL is required",
        "a development client is refused outside development",
        "upstream iamsmart uses a development secret",
        "upstream guangdong uses a development secret",
        "holds development keys",
    ):
        assert expected in problems


def test_broken_client_file_reports_each_problem_with_its_place(tmp_path: Path) -> None:
    development_keys_now(tmp_path / "keys")
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        """
clients:
  - client_id: a
    name: {en: A, zh-Hant: A, zh-Hans: A}
    purpose: {en: p, zh-Hant: p, zh-Hans: p}
    jurisdiction: {en: j, zh-Hant: j, zh-Hans: j}
    client_secret_sha256: not-a-digest
    redirect_uris: ["https://a.test/cb#fragment"]
  - client_id: b
    name: {en: B, zh-Hant: B, zh-Hans: B}
    purpose: {en: p, zh-Hant: p, zh-Hans: p}
    jurisdiction: {en: j, zh-Hant: j, zh-Hans: j}
    client_secret_sha256: "%s"
    redirect_uris: ["https://b.test/cb"]
    allowed_claims: [name, shoe_size]
    allowed_scopes: [openid, telepathy]
    upstreams: [iamsmart, nowhere]
    downstream: guangdong
"""
        % ("0" * 64)
    )
    with pytest.raises(ConfigError) as caught:
        create_app(settings(tmp_path, clients_file=clients), env=dev_env(tmp_path))
    problems = "\n".join(caught.value.problems)
    assert "clients.0.client_secret_sha256" in problems
    assert "clients.0.redirect_uris" in problems
    # the broken first client does not hide the second one's problems
    assert "allowed claim 'shoe_size' has no mapping rule" in problems
    assert "allowed scope 'telepathy' is not defined" in problems
    assert "upstream 'nowhere' is not configured" in problems


def test_missing_environment_variable_without_default_is_reported(tmp_path: Path) -> None:
    development_keys_now(tmp_path / "keys")
    upstreams = tmp_path / "upstreams.yaml"
    upstreams.write_text(
        (REPO / "config/upstreams.yaml")
        .read_text()
        .replace("${IAMSMART_CLIENT_ID:-gba-bridge-dev}", "${IAMSMART_CLIENT_ID}")
    )
    with pytest.raises(ConfigError) as caught:
        create_app(settings(tmp_path, upstreams_file=upstreams), env=dev_env(tmp_path))
    assert any("IAMSMART_CLIENT_ID is not set" in p for p in caught.value.problems)


def test_config_check_command_lists_problems_and_exits_2(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bridge", "config", "check"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "BRIDGE_KEYS_DIR": str(tmp_path / "none")},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "problem(s)" in result.stderr
    assert "no signing keys" in result.stderr


def test_keys_init_dev_creates_marked_private_keys_readable_only_by_the_owner(
    tmp_path: Path,
) -> None:
    keys = tmp_path / "keys"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "bridge", "keys", "init-dev", "--keys-dir", str(keys)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    index = json.loads((keys / "signing" / "keyset.json").read_text())
    lanes = sorted((e["alg"], e["state"]) for e in index["keys"])
    assert lanes == [("ES256", "active"), ("ES256", "next"), ("RS256", "active"), ("RS256", "next")]
    for entry in index["keys"]:
        assert entry["development"] is True
        pem = keys / "signing" / entry["file"]
        assert pem.read_text().startswith("# DEVELOPMENT KEY")
        assert pem.stat().st_mode & 0o077 == 0
    assert (keys / "iamsmart-kek.pem").stat().st_mode & 0o077 == 0


def test_a_client_choosing_an_algorithm_without_keys_is_refused(tmp_path: Path) -> None:
    development_keys_now(tmp_path / "keys")
    clients = tmp_path / "clients.yaml"
    clients.write_text(
        (REPO / "config/clients.yaml")
        .read_text()
        .replace("id_token_signed_response_alg: ES256", "id_token_signed_response_alg: EdDSA", 1)
    )
    with pytest.raises(ConfigError) as caught:
        create_app(settings(tmp_path, clients_file=clients), env=dev_env(tmp_path))
    (problem,) = caught.value.problems
    assert "client gd-platform-dev: signing algorithm EdDSA is not enabled" in problem
    create_app(  # enabled: accepted
        settings(tmp_path, clients_file=clients, keys_algorithms=("EdDSA",)),
        env=dev_env(tmp_path),
    )
