"""The iAM Smart key-encryption key (KEK) files: the RSA key whose public half is
registered with iAM Smart, which wraps every content key with it (getKey).

    keys/iamsmart-kek.pem         the private key (for development: plain, with a banner)
    keys/iamsmart-kek.pub.pem     its public half, to register with iAM Smart (or the mock)
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bridge.keyfiles import DEVELOPMENT_BANNER, write_atomically

KEK_FILE = "iamsmart-kek.pem"
KEK_PUBLIC_FILE = "iamsmart-kek.pub.pem"


def create_development_kek(keys_dir: Path) -> None:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_atomically(keys_dir / KEK_FILE, DEVELOPMENT_BANNER.encode() + pem)
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_atomically(keys_dir / KEK_PUBLIC_FILE, public, 0o644)


def ensure_development_kek(keys_dir: Path) -> list[str]:
    """Create the development KEK when it is missing; returns what was created."""
    if (keys_dir / KEK_FILE).exists():
        return []
    create_development_kek(keys_dir)
    return ["iAM Smart KEK (RSA-2048)"]
