"""`bridge keys generate` / `rotate --force` with another BRIDGE_KEYS_ENCRYPTION_KEY than
the one the key directory was sealed with are refused before anything is written, so a
typo in the key cannot leave a directory that opens under neither key."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.signing.ring import load_keys
from tests.signing.support import instance_settings
from tests.signing.test_cli import bridge_keys

WRONG_KEY = "another-key-encryption-key-typed-by-mistake-0123"


def snapshot(keys_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (keys_dir / "signing").iterdir()}


@pytest.mark.parametrize("command", [("rotate", "--force"), ("generate",)])
def test_a_wrong_encryption_key_is_refused_and_the_directory_still_loads(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    keys_dir = tmp_path / "keys"
    assert bridge_keys(keys_dir, "generate").returncode == 0
    before = snapshot(keys_dir)

    refused = bridge_keys(keys_dir, *command, env={"BRIDGE_KEYS_ENCRYPTION_KEY": WRONG_KEY})

    assert refused.returncode == 2
    assert "nothing written" in refused.stderr
    assert "encrypted with another key-encryption key" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert snapshot(keys_dir) == before
    loaded = load_keys(instance_settings(keys_dir, "https://bridge.test", None))
    assert loaded.problems == []
    assert bridge_keys(keys_dir, *command).returncode == 0, "the right key still works"
