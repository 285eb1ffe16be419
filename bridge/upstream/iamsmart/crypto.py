"""Content encryption with the CEK and CEK unwrapping with the KEK (docs/protocols.md §1.9).

AES-256-GCM, 12-byte IV, 128-bit tag; wire format Base64(int32_be(12) || IV ||
ciphertext || tag). The CEK arrives wrapped with RSA PKCS#1 v1.5 under our KEK.
"""

from __future__ import annotations

import base64
import binascii
import functools
import os
import struct
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

IV_LENGTH = 12
TAG_LENGTH = 16
CEK_LENGTH = 32
_PREFIX = struct.Struct(">i")


@functools.lru_cache(maxsize=4)
def _load_private_key(pem: bytes) -> PrivateKeyTypes:
    """Parsed once per process per content: loading an RSA key validates it (~33 ms of
    CPU), and every app built in one process (a test chain, say) reads the same file."""
    return serialization.load_pem_private_key(pem, password=None)


class CryptoError(ValueError):
    """Content or a key that cannot be opened; never carries the data itself."""


def seal(cek: bytes, plaintext: bytes) -> str:
    iv = os.urandom(IV_LENGTH)
    sealed = AESGCM(cek).encrypt(iv, plaintext, None)
    return base64.b64encode(_PREFIX.pack(IV_LENGTH) + iv + sealed).decode("ascii")


def unseal(cek: bytes, content: str) -> bytes:
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("content is not Base64") from exc
    if len(raw) < _PREFIX.size + IV_LENGTH + TAG_LENGTH:
        raise CryptoError("content is too short")
    (iv_length,) = _PREFIX.unpack_from(raw)
    if iv_length != IV_LENGTH:
        raise CryptoError(f"IV length {iv_length}, expected {IV_LENGTH}")
    iv = raw[_PREFIX.size : _PREFIX.size + IV_LENGTH]
    try:
        return AESGCM(cek).decrypt(iv, raw[_PREFIX.size + IV_LENGTH :], None)
    except InvalidTag as exc:
        raise CryptoError("authentication tag does not verify") from exc


class Kek:
    """The bridge's key-encryption key: the private half of what ESP holds."""

    def __init__(self, private_key: RSAPrivateKey) -> None:
        if private_key.key_size < 2048:
            raise CryptoError(f"KEK is RSA-{private_key.key_size}, at least 2048 is required")
        self._key = private_key
        der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.public_spki = der

    @classmethod
    def from_file(cls, path: Path) -> Kek:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise CryptoError(f"{path} does not exist") from None
        except OSError as exc:
            raise CryptoError(f"cannot read {path}: {exc.strerror}") from None
        try:
            key = _load_private_key(data)
        except (ValueError, TypeError) as exc:
            raise CryptoError(f"cannot read an unencrypted PEM private key from {path}") from exc
        if not isinstance(key, RSAPrivateKey):
            raise CryptoError(f"{path} is not an RSA private key")
        return cls(key)

    def matches(self, pub_key_b64: str) -> bool:
        """Whether getKey's `pubKey` is ours, i.e. the CEK was wrapped for us."""
        try:
            return base64.b64decode(pub_key_b64, validate=True) == self.public_spki
        except (binascii.Error, ValueError):
            return False

    def unwrap(self, secret_key_b64: str) -> bytes:
        try:
            wrapped = base64.b64decode(secret_key_b64, validate=True)
            cek = self._key.decrypt(wrapped, padding.PKCS1v15())
        except (binascii.Error, ValueError) as exc:
            raise CryptoError("secretKey does not unwrap with the KEK") from exc
        if len(cek) == 44:
            # One client saw the CEK wrapped as its Base64 text rather than raw bytes.
            try:
                cek = base64.b64decode(cek, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise CryptoError("secretKey unwraps to 44 bytes that are not Base64") from exc
        if len(cek) != CEK_LENGTH:
            raise CryptoError(f"secretKey unwraps to {len(cek)} bytes, expected {CEK_LENGTH}")
        return cek
