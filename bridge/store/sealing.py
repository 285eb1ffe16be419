"""AES-256-GCM for every record at rest.

Records hold personal data (released claims) and bearer material (codes' bindings),
so a Redis dump or a replica must reveal nothing. The store key name is the
associated data: a sealed value moved to another key does not open.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bridge.errors import StoreError

_VERSION = b"\x01"
_NONCE = 12


class Sealer:
    def __init__(self, secret: str) -> None:
        key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gba-bridge store v1"
        ).derive(secret.encode("utf-8"))
        self._aead = AESGCM(key)

    def seal(self, plaintext: bytes, aad: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, aad.encode())

    def open(self, blob: bytes, aad: str) -> bytes:
        if blob[:1] != _VERSION or len(blob) < 1 + _NONCE + 16:
            raise StoreError("stored value has an unknown format")
        nonce = blob[1 : 1 + _NONCE]
        try:
            return self._aead.decrypt(nonce, blob[1 + _NONCE :], aad.encode())
        except InvalidTag:
            raise StoreError("stored value failed authentication (wrong key or tampered)") from None
