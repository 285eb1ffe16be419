"""Key files under `keys/`: written atomically with mode 0600, development keys marked.

Layout:
    keys/signing/keyset.json      which keys exist, their algorithm, state and origin
    keys/signing/<kid>.pem        PKCS#8 private key (development keys carry a banner)
    keys/iamsmart-kek.pem         RSA key whose public half iAM Smart wraps content keys with
    keys/iamsmart-kek.pub.pem     that public half, to register with iAM Smart (or the mock)
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.clock import Clock
from bridge.errors import SigningKeyError
from bridge.signing.keys import (
    DEVELOPMENT_BANNER,
    Algorithm,
    SigningKey,
    generate_private_key,
    load_signing_key,
    to_pem,
)
from bridge.signing.keyset import KeySet

KEYSET_FILE = "keyset.json"
KEK_FILE = "iamsmart-kek.pem"
KEK_PUBLIC_FILE = "iamsmart-kek.pub.pem"


def write_atomically(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Readers never see a half-written key: write a temporary file, then rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_keyset(keys_dir: Path) -> KeySet:
    index_path = keys_dir / "signing" / KEYSET_FILE
    try:
        index: dict[str, Any] = json.loads(index_path.read_text())
    except FileNotFoundError:
        raise SigningKeyError(
            f"no signing keys in {index_path.parent} (run `bridge demo` for development keys)"
        ) from None
    except (OSError, ValueError) as exc:
        raise SigningKeyError(f"cannot read {index_path}: {exc}") from None
    active: list[SigningKey] = []
    others: list[SigningKey] = []
    for entry in index.get("keys", []):
        pem_path = keys_dir / "signing" / entry["file"]
        try:
            key = load_signing_key(
                pem_path.read_bytes(),
                entry["alg"],
                created_at=float(entry["created_at"]),
                development=bool(entry.get("development", False)),
            )
        except (OSError, ValueError, KeyError) as exc:
            raise SigningKeyError(f"cannot load signing key {pem_path}: {exc}") from None
        if key.kid != entry["kid"]:
            raise SigningKeyError(f"{pem_path} does not hold the key with kid {entry['kid']}")
        (active if entry.get("state") == "active" else others).append(key)
    if len(active) != 1:
        raise SigningKeyError(f"{index_path} must name exactly one active key ({len(active)})")
    return KeySet(active=active[0], others=tuple(others))


def create_development_keyset(keys_dir: Path, clock: Clock, alg: Algorithm = "ES256") -> KeySet:
    private = generate_private_key(alg)
    pem = DEVELOPMENT_BANNER.encode() + to_pem(private)
    key = load_signing_key(pem, alg, created_at=clock.now(), development=True)
    write_atomically(keys_dir / "signing" / f"{key.kid}.pem", pem)
    index = {
        "keys": [
            {
                "kid": key.kid,
                "alg": alg,
                "state": "active",
                "file": f"{key.kid}.pem",
                "created_at": key.created_at,
                "development": True,
            }
        ]
    }
    write_atomically(
        keys_dir / "signing" / KEYSET_FILE, json.dumps(index, indent=2).encode(), 0o644
    )
    return KeySet(active=key)


def create_development_kek(keys_dir: Path) -> None:
    """The RSA key iAM Smart wraps content keys with (protocols.md §1.9)."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_atomically(keys_dir / KEK_FILE, DEVELOPMENT_BANNER.encode() + to_pem(private))
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_atomically(keys_dir / KEK_PUBLIC_FILE, public, 0o644)


def ensure_development_keys(keys_dir: Path, clock: Clock) -> list[str]:
    """Create whatever development key is missing; returns what was created."""
    created = []
    if not (keys_dir / "signing" / KEYSET_FILE).exists():
        create_development_keyset(keys_dir, clock)
        created.append("signing key (ES256)")
    if not (keys_dir / KEK_FILE).exists():
        create_development_kek(keys_dir)
        created.append("iAM Smart KEK (RSA-2048)")
    return created


def is_development_pem(path: Path) -> bool:
    try:
        return path.read_bytes().startswith(DEVELOPMENT_BANNER[:20].encode())
    except OSError:
        return False
