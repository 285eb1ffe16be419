"""Checks of the five signed headers every iAM Smart POST carries (docs/protocols.md §1.8, §4.1).

HMAC-SHA256 keyed with the client secret over clientID + signatureMethod + timestamp +
nonce + body; the signature may arrive URL-encoded or not. Replay protection: a nonce
is accepted once, and a timestamp must lie within the skew window and not be lower than
the client's previous one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import unquote

from mock_idps.iamsmart import codes
from mock_idps.iamsmart.codes import IamSmartError
from mock_idps.iamsmart.config import ClientConfig
from mock_idps.iamsmart.state import IamSmartState

SIGNATURE_METHOD = "HmacSHA256"
HEADERS = ("clientID", "signatureMethod", "timestamp", "nonce", "signature")
_MAX_NONCE = 36


def expected_signature(
    secret: str, client_id: str, method: str, timestamp: str, nonce: str, body: bytes
) -> bytes:
    message = (client_id + method + timestamp + nonce).encode("utf-8") + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).digest()


def verify_request(
    state: IamSmartState,
    headers: Mapping[str, str],
    body: bytes,
    *,
    content: str | None = None,
) -> ClientConfig:
    """Authenticate a signed POST and record its nonce and timestamp.

    `content` is the encrypted `content` string, accepted as the signed body only in
    lenient mode.
    """
    values = {name: headers.get(name) for name in HEADERS}
    for name, value in values.items():
        if value is None:
            raise IamSmartError(codes.PARAMETER_MISSING, name)
        if value == "":
            raise IamSmartError(codes.PARAMETER_EMPTY, name)
    client_id, method = str(values["clientID"]), str(values["signatureMethod"])
    timestamp, nonce = str(values["timestamp"]), str(values["nonce"])
    client = state.clients.get(client_id)
    if client is None:
        raise IamSmartError(codes.CLIENT_UNKNOWN, "clientID")
    if method != SIGNATURE_METHOD:
        raise IamSmartError(codes.UNSUPPORTED_SIGNATURE_METHOD, "signatureMethod")
    if not timestamp.isdigit():
        raise IamSmartError(codes.PARAMETER_INVALID, "timestamp")
    if len(nonce) > _MAX_NONCE or not nonce.isascii() or not nonce.isprintable():
        raise IamSmartError(codes.PARAMETER_INVALID, "nonce")

    try:
        presented = base64.b64decode(unquote(str(values["signature"])), validate=True)
    except ValueError:
        presented = b""
    secret = client.clientSecret.get_secret_value()
    bodies = [body]
    if content is not None and state.lenient_content_signature:
        bodies.append(content.encode("utf-8"))
    expected = (expected_signature(secret, client_id, method, timestamp, nonce, b) for b in bodies)
    if not any(hmac.compare_digest(presented, e) for e in expected):
        raise IamSmartError(codes.SIGNATURE_INVALID, "signature")

    # Replay state changes only after the signature holds, so a forger cannot burn
    # nonces or push the client's last timestamp forward.
    now_ms = state.now_ms()
    stamp = int(timestamp)
    skew_ms = state.settings.timestamp_skew_seconds * 1000
    if abs(now_ms - stamp) > skew_ms or stamp < state.last_timestamps.get(client_id, 0):
        raise IamSmartError(codes.TIMESTAMP_INVALID, "timestamp")
    if not state.remember_nonce(client_id, nonce, stamp):
        raise IamSmartError(codes.REPEATED_REQUEST, "nonce")
    state.last_timestamps[client_id] = stamp
    return client
