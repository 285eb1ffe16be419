"""Private signing keys at rest: an Encrypted JWK (RFC 7517 §7), that is a compact JWE
(RFC 7516) with `cty: jwk+json`, its content key wrapped with AES-256 Key Wrap and the
key itself sealed with AES-256-GCM (RFC 7518 §4.4, §5.3), all by joserfc.

The key-encryption key comes from `BRIDGE_KEYS_ENCRYPTION_KEY` or a secret file. It is
a high-entropy secret (≥ 32 characters, like the store key), so HKDF derives the
wrapping key; a password-based scheme (PBES2) would only add start-up cost. The JWE's
`kid` names the key-encryption key (a digest, not the key), so a file sealed under
another one is reported as such instead of as "corrupt".
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from bridge.errors import SigningKeyError
from bridge.settings import DEV_MARKER, Settings

MIN_SECRET_LENGTH = 32
_HEADER = {"alg": "A256KW", "enc": "A256GCM", "cty": "jwk+json"}
_ALGORITHMS = ["A256KW", "A256GCM"]


class KeyEncryptionKey:
    def __init__(self, secret: str) -> None:
        raw = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gba-bridge signing keys v1"
        ).derive(secret.encode("utf-8"))
        self._key = OctKey.import_key(raw)
        self.kid = hashlib.sha256(b"kek-id" + raw).hexdigest()[:16]

    def seal(self, private_jwk: dict[str, Any]) -> bytes:
        header = {**_HEADER, "kid": self.kid}
        token = jwe.encrypt_compact(
            header, json.dumps(private_jwk).encode(), self._key, algorithms=_ALGORITHMS
        )
        return token.encode("ascii") + b"\n"

    def open(self, sealed: bytes, where: str) -> dict[str, Any]:
        token = sealed.strip()
        try:
            compact = jwe.extract_compact(token, jwe.default_registry)  # type: ignore[attr-defined]
            header = compact.headers()
        except (JoseError, ValueError):
            raise SigningKeyError(f"{where} is not an encrypted key (RFC 7517 §7)") from None
        if header.get("kid") != self.kid:
            raise SigningKeyError(
                f"{where} was encrypted with another key-encryption key "
                f"(id {header.get('kid')}, configured {self.kid})"
            )
        try:
            plaintext = jwe.decrypt_compact(token, self._key, algorithms=_ALGORITHMS).plaintext
            jwk: dict[str, Any] = json.loads(plaintext or b"")
        except (JoseError, ValueError):
            raise SigningKeyError(f"{where} failed authentication (tampered?)") from None
        return jwk


def encryption_key_from_settings(settings: Settings) -> tuple[KeyEncryptionKey | None, list[str]]:
    """The configured key-encryption key, or None in development without one; with every
    problem found (reported at start-up with the rest of the configuration)."""
    secret: str | None = None
    problems: list[str] = []
    if settings.keys_encryption_key is not None and settings.keys_encryption_key_file:
        problems.append(
            "set BRIDGE_KEYS_ENCRYPTION_KEY or BRIDGE_KEYS_ENCRYPTION_KEY_FILE, not both"
        )
    elif settings.keys_encryption_key is not None:
        secret = settings.keys_encryption_key.get_secret_value()
    elif settings.keys_encryption_key_file is not None:
        try:
            secret = settings.keys_encryption_key_file.read_text().strip()
        except (OSError, UnicodeError) as exc:
            problems.append(
                f"BRIDGE_KEYS_ENCRYPTION_KEY_FILE {settings.keys_encryption_key_file} "
                f"cannot be read: {exc.__class__.__name__}"
            )
    if secret is None:
        if not settings.development and not problems:
            problems.append(
                "BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE) is required outside development: "
                "private signing keys are encrypted at rest with it"
            )
        return None, problems
    if not settings.development and secret.startswith(DEV_MARKER):
        problems.append("BRIDGE_KEYS_ENCRYPTION_KEY is the development placeholder")
    if len(secret) < MIN_SECRET_LENGTH:
        problems.append(
            f"BRIDGE_KEYS_ENCRYPTION_KEY must be at least {MIN_SECRET_LENGTH} characters"
        )
    return (None if problems else KeyEncryptionKey(secret)), problems
