"""Private keys at rest: encrypted JWKs (RFC 7517 §7) readable only by the owner;
development keys plain and marked, and refused outside development."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest

from bridge.app import create_app
from bridge.clock import ManualClock
from bridge.errors import ConfigError
from bridge.signing.locks import KeySetLock
from bridge.signing.manager import KeyManager
from bridge.signing.ring import LoadedKeys, load_keys
from tests.signing.support import ENCRYPTION_KEY, REPO, START, instance_settings
from tests.support.dev_keys import development_keys

ISSUER = "https://bridge.test"


async def generated(tmp_path: Path, **overrides: Any) -> LoadedKeys:
    """`bridge keys generate` on an empty directory, then the key set as start-up reads it."""
    settings = instance_settings(tmp_path / "keys", ISSUER, None, **overrides)
    loaded = load_keys(settings)
    files = loaded.files
    manager = KeyManager(
        files,
        loaded.policy,
        KeySetLock(None, files.lock_path),
        ManualClock(START),
        development_allowed=settings.development,
    )
    await manager.generate()
    return load_keys(settings)


def key_files(loaded: LoadedKeys) -> list[Path]:
    assert loaded.index is not None
    return [loaded.files.directory / e.file for e in loaded.index.keys]


def b64json(segment: str) -> dict[str, Any]:
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    )
    return decoded


async def test_private_keys_are_encrypted_jwks_readable_only_by_the_owner(tmp_path: Path) -> None:
    loaded = await generated(tmp_path)
    assert loaded.index is not None and loaded.keyset is not None and not loaded.problems
    for entry in loaded.index.keys:
        path, key = loaded.files.directory / entry.file, loaded.keyset.by_kid(entry.kid)
        assert key is not None
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        sealed = path.read_text().strip()
        header = b64json(sealed.split(".")[0])
        assert header | {"kid": None} == {
            "alg": "A256KW",
            "enc": "A256GCM",
            "cty": "jwk+json",
            "kid": None,
        }
        private_d = key.key.as_dict(private=True)["d"]
        assert private_d not in sealed and "PRIVATE KEY" not in sealed
    leftovers = [p.name for p in loaded.files.directory.iterdir() if p.name.startswith(".keyset")]
    assert leftovers == [], "an atomic write leaves no temporary file behind"


async def test_another_encryption_key_is_reported_as_such(tmp_path: Path) -> None:
    await generated(tmp_path)
    settings = instance_settings(
        tmp_path / "keys",
        ISSUER,
        None,
        keys_encryption_key="another-key-encryption-key-of-32+chars",
    )
    (problem,) = load_keys(settings).problems
    assert "was encrypted with another key-encryption key" in problem


async def test_a_tampered_key_file_is_refused(tmp_path: Path) -> None:
    loaded = await generated(tmp_path)
    path = key_files(loaded)[0]
    parts = path.read_text().strip().split(".")
    parts[3] = parts[3][:-2] + ("A" if parts[3][-2] != "A" else "B") + parts[3][-1]
    path.write_text(".".join(parts))
    (problem,) = load_keys(instance_settings(tmp_path / "keys", ISSUER, None)).problems
    assert "failed authentication" in problem


async def test_a_key_file_holding_another_key_than_its_kid_is_refused(tmp_path: Path) -> None:
    loaded = await generated(tmp_path)
    first, second, *_ = key_files(loaded)  # an active and a next key per algorithm
    first.write_bytes(second.read_bytes())
    (problem,) = load_keys(instance_settings(tmp_path / "keys", ISSUER, None)).problems
    assert "does not hold the key with kid" in problem


async def test_the_encryption_key_can_come_from_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "kek"
    secret.write_text(ENCRYPTION_KEY + "\n")
    loaded = await generated(tmp_path, keys_encryption_key=None, keys_encryption_key_file=secret)
    assert not loaded.problems and loaded.keyset is not None
    assert all(p.suffix == ".jwe" for p in key_files(loaded))


def test_a_short_or_doubly_given_encryption_key_is_a_configuration_problem(tmp_path: Path) -> None:
    short = instance_settings(tmp_path / "keys", ISSUER, None, keys_encryption_key="too-short")
    assert any("at least 32 characters" in p for p in load_keys(short).problems)
    both = instance_settings(
        tmp_path / "keys", ISSUER, None, keys_encryption_key_file=tmp_path / "kek"
    )
    assert any("not both" in p for p in load_keys(both).problems)


async def test_development_keys_are_plain_marked_and_accepted_in_development_only(
    tmp_path: Path,
) -> None:
    loaded = await generated(tmp_path, keys_encryption_key=None)
    assert not loaded.problems and loaded.keyset is not None
    assert loaded.keyset.has_development_keys
    for path in key_files(loaded):
        assert path.read_text().startswith("# DEVELOPMENT KEY")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    production = instance_settings(tmp_path / "keys", ISSUER, None, env="production")
    assert any("holds development keys" in p for p in load_keys(production).problems)


async def test_an_index_edited_to_unmark_a_development_key_does_not_unmark_it(
    tmp_path: Path,
) -> None:
    loaded = await generated(tmp_path, keys_encryption_key=None)
    index_path = loaded.files.index_path
    index_path.write_text(
        index_path.read_text().replace('"development": true', '"development": false')
    )
    production = instance_settings(tmp_path / "keys", ISSUER, None, env="production")
    problems = "\n".join(load_keys(production).problems)
    assert "the development banner and the index disagree" in problems


def test_production_start_up_reports_key_problems_with_every_other_problem(
    tmp_path: Path,
) -> None:
    """Outside development: no key-encryption key, development keys and placeholder
    secrets are all listed in one report."""
    development_keys(tmp_path / "keys", ManualClock(START))
    settings = instance_settings(
        tmp_path / "keys",
        ISSUER,
        None,
        env="production",
        keys_encryption_key=None,
        clients_file=REPO / "config/clients.yaml",
    )
    with pytest.raises(ConfigError) as caught:
        create_app(
            settings,
            env={"IAMSMART_KEK_PRIVATE_KEY_FILE": str(tmp_path / "keys" / "iamsmart-kek.pem")},
        )
    problems = "\n".join(caught.value.problems)
    assert "BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE) is required outside development" in problems
    assert "holds development keys" in problems
    assert "BRIDGE_STORE_KEY is the development placeholder" in problems
