"""`bridge keys …` through its entry point (`python -m bridge`), checking the key files
it leaves and the JWKS the app then serves (hydra's `cmd_create_jwks_test.go`)."""

from __future__ import annotations

import asyncio
import json
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from bridge.app import create_app
from bridge.clock import ManualClock
from bridge.signing.locks import KeySetLock
from bridge.signing.manager import KeyManager
from bridge.signing.ring import load_keys
from tests.signing.support import ENCRYPTION_KEY, REPO, ParkedTicker, instance_settings


def bridge_keys(
    keys_dir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        "PATH": "/usr/bin:/bin",
        "BRIDGE_ENV": "development",
        "BRIDGE_KEYS_DIR": str(keys_dir),
        "BRIDGE_KEYS_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "BRIDGE_LOG_LEVEL": "WARNING",
        **(env or {}),
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bridge", "keys", *args],
        cwd=REPO,
        env={k: v for k, v in environment.items() if v},
        capture_output=True,
        text=True,
        timeout=60,
    )


def listed(keys_dir: Path) -> dict[str, Any]:
    result = bridge_keys(keys_dir, "list", "--json")
    assert result.returncode == 0, result.stderr
    described: dict[str, Any] = json.loads(result.stdout)
    return described


def states(keys_dir: Path, alg: str = "ES256") -> dict[str, str]:
    """State → kid in one algorithm's lane."""
    return {k["state"]: k["kid"] for k in listed(keys_dir)["keys"] if k["alg"] == alg}


async def served_jwks(keys_dir: Path) -> dict[str, Any]:
    settings = instance_settings(keys_dir, "https://bridge.test", None)
    env = {
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / "iamsmart-kek.pem"),
        "GUANGDONG_PUBLIC_URL": "https://gd.test",
    }
    app = create_app(settings, clock=ManualClock(time.time()), env=env, key_ticker=ParkedTicker())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://b") as c:
        jwks: dict[str, Any] = (await c.get("/jwks.json")).json()
    return jwks


def aged_key_set(keys_dir: Path, *, hours_ago: float, rotations: int = 0) -> None:
    """A key set made `hours_ago` (by the library, with a clock set back), rotated
    `rotations` times an hour apart, so the real clock finds it ripe."""
    settings = instance_settings(keys_dir, "https://bridge.test", None)
    clock = ManualClock(time.time() - hours_ago * 3600)
    loaded = load_keys(settings)
    manager = KeyManager(
        loaded.files,
        loaded.policy,
        KeySetLock(None, loaded.files.lock_path),
        clock,
        development_allowed=True,
    )

    async def make() -> None:
        await manager.generate()
        for _ in range(rotations):
            clock.advance(3600)
            await manager.rotate()

    asyncio.run(make())


async def test_generate_in_an_empty_directory_makes_encrypted_keys_the_app_then_serves(
    tmp_path: Path,
) -> None:
    keys_dir = tmp_path / "keys"
    (tmp_path / "keys").mkdir()
    from bridge.upstream.iamsmart.kek import create_development_kek

    create_development_kek(keys_dir)  # the app also needs the iAM Smart KEK to start
    result = bridge_keys(keys_dir, "generate")
    assert result.returncode == 0, result.stderr
    assert "created active keys" in result.stdout

    kids = states(keys_dir)
    assert set(kids) == set(states(keys_dir, "RS256")) == {"active", "next"}
    for key in listed(keys_dir)["keys"]:
        path = keys_dir / "signing" / f"{key['kid']}.jwe"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "PRIVATE KEY" not in path.read_text()

    exported = bridge_keys(keys_dir, "export-jwks", env={"BRIDGE_KEYS_ENCRYPTION_KEY": ""})
    assert exported.returncode == 0, exported.stderr  # public keys need no secret
    served = await served_jwks(keys_dir)
    assert json.loads(exported.stdout) == served
    assert [k["kid"] for k in served["keys"]][:2] == [kids["active"], kids["next"]]
    assert {k["alg"] for k in served["keys"]} == {"ES256", "RS256"}


def test_list_shows_state_kid_algorithm_creation_and_when_each_key_changes(
    tmp_path: Path,
) -> None:
    keys_dir = tmp_path / "keys"
    aged_key_set(keys_dir, hours_ago=2, rotations=1)
    table = bridge_keys(keys_dir, "list")
    assert table.returncode == 0, table.stderr
    header, *rows = table.stdout.splitlines()[:7]
    assert header.split()[:4] == ["STATE", "KID", "ALG", "CREATED"]
    assert header.endswith("ACTIVATES / RETIRES / REMOVED AT")
    rows = [row for row in rows if row.split()[2] == "ES256"]  # and as many RS256
    assert [row.split()[0] for row in rows] == ["next", "active", "retired"]
    assert "activates" in rows[0] and "retires" in rows[1] and "removed after" in rows[2]

    described = listed(keys_dir)
    for alg in ("ES256", "RS256"):
        by_state = {k["state"]: k for k in described["keys"] if k["alg"] == alg}
        assert by_state["next"]["activates_at"] and by_state["active"]["retires_at"]
        assert by_state["retired"]["removes_at"]
    assert all(k["created_at"].endswith("Z") for k in described["keys"])


def test_rotate_refuses_a_next_key_published_less_than_the_jwks_max_age_ago(
    tmp_path: Path,
) -> None:
    keys_dir = tmp_path / "keys"
    assert bridge_keys(keys_dir, "generate").returncode == 0
    before = states(keys_dir)

    refused = bridge_keys(keys_dir, "rotate")
    assert refused.returncode == 2
    assert "verifiers may cache the JWKS for 300 s" in refused.stderr
    assert states(keys_dir) == before

    forced = bridge_keys(keys_dir, "rotate", "--force", "--alg", "ES256", "--json")
    assert forced.returncode == 0, forced.stderr
    after = {k["state"]: k["kid"] for k in json.loads(forced.stdout)["keys"] if k["alg"] == "ES256"}
    assert "retired" not in states(keys_dir, "RS256"), "--alg rotates that lane only"
    assert after["active"] == before["next"] and after["retired"] == before["active"]


def test_rotate_and_prune_follow_the_lifecycle_on_the_real_clock(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    aged_key_set(keys_dir, hours_ago=3, rotations=1)  # retired 2 h ago: its tokens expired
    before, before_rs256 = states(keys_dir), states(keys_dir, "RS256")

    rotated = bridge_keys(keys_dir, "rotate")
    assert rotated.returncode == 0, rotated.stderr
    after = listed(keys_dir)
    assert {k["state"] for k in after["keys"]} == {"next", "active", "retired"}
    assert after["version"] == 3  # made, rotated an hour later, rotated now (both lanes)

    pruned = bridge_keys(keys_dir, "prune", "--json")
    assert pruned.returncode == 0, pruned.stderr
    message = json.loads(pruned.stdout)["message"]
    assert message.startswith("removed ")
    assert {before["retired"], before_rs256["retired"]} == set(message[8:].split(", "))
    assert not (keys_dir / "signing" / f"{before['retired']}.jwe").exists()
    remaining = {k["kid"] for k in listed(keys_dir)["keys"]}
    assert before["active"] in remaining, "retired a moment ago: its tokens still live"


def test_generate_takes_an_algorithm_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    keys_dir = tmp_path / "keys"
    assert bridge_keys(keys_dir, "generate").returncode == 0
    before = states(keys_dir, "RS256")
    rs256 = bridge_keys(keys_dir, "generate", "--alg", "RS256")
    assert rs256.returncode == 0, rs256.stderr
    after = states(keys_dir, "RS256")
    assert after["next"] != before["next"] and after["active"] == before["active"]

    eddsa = bridge_keys(keys_dir, "generate", "--alg", "EdDSA")
    assert eddsa.returncode == 0, eddsa.stderr
    assert "created active key" in eddsa.stdout, "a new algorithm starts its lane"
    assert set(states(keys_dir, "EdDSA")) == {"active", "next"}

    unknown = bridge_keys(keys_dir, "generate", "--alg", "HS256")
    assert unknown.returncode == 2
    assert "'HS256' is not one of ES256, RS256, EdDSA, Ed25519" in unknown.stderr


def test_outside_development_new_keys_need_the_encryption_key(tmp_path: Path) -> None:
    result = bridge_keys(
        tmp_path / "keys",
        "generate",
        env={"BRIDGE_ENV": "production", "BRIDGE_KEYS_ENCRYPTION_KEY": ""},
    )
    assert result.returncode == 2
    assert "BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE) is required outside development" in result.stderr
    assert not (tmp_path / "keys" / "signing" / "keyset.json").exists()


def test_an_unreachable_redis_is_a_clear_error_not_a_trace(tmp_path: Path) -> None:
    result = bridge_keys(
        tmp_path / "keys", "generate", env={"BRIDGE_REDIS_URL": "redis://127.0.0.1:1/0"}
    )
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot take the rotation lock in Redis")
    assert "Traceback" not in result.stderr
