"""Content encryption and key wrapping as iAM Smart does them (docs/protocols.md §1.9).

Wire format of encrypted content: Base64( int32_be(12) || IV || ciphertext || tag ),
AES-256-GCM with a 12-byte IV and a 128-bit tag. The CEK goes to the client wrapped
with RSA PKCS#1 v1.5 under the client's KEK.
"""

from __future__ import annotations

import base64
import binascii
import os
import struct

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mock_idps.iamsmart import codes
from mock_idps.iamsmart.codes import IamSmartError

IV_LENGTH = 12
TAG_LENGTH = 16
_PREFIX = struct.Struct(">i")


def encrypt_content(cek: bytes, plaintext: bytes) -> str:
    iv = os.urandom(IV_LENGTH)
    sealed = AESGCM(cek).encrypt(iv, plaintext, None)
    return base64.b64encode(_PREFIX.pack(IV_LENGTH) + iv + sealed).decode("ascii")


def decrypt_content(cek: bytes, content: str) -> bytes:
    """Open a client's `content`; every way it can be unreadable is D30004."""
    try:
        raw = base64.b64decode(content, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise IamSmartError(codes.DECRYPTION_ERROR, "content") from exc
    if len(raw) < _PREFIX.size + IV_LENGTH + TAG_LENGTH:
        raise IamSmartError(codes.DECRYPTION_ERROR, "content")
    (iv_length,) = _PREFIX.unpack_from(raw)
    if iv_length != IV_LENGTH:
        raise IamSmartError(codes.DECRYPTION_ERROR, "content")
    iv = raw[_PREFIX.size : _PREFIX.size + IV_LENGTH]
    try:
        return AESGCM(cek).decrypt(iv, raw[_PREFIX.size + IV_LENGTH :], None)
    except InvalidTag as exc:
        raise IamSmartError(codes.DECRYPTION_ERROR, "content") from exc


def wrap_cek(kek: RSAPublicKey, cek: bytes) -> str:
    return base64.b64encode(kek.encrypt(cek, padding.PKCS1v15())).decode("ascii")


def public_key_b64(kek: RSAPublicKey) -> str:
    der = kek.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode("ascii")
