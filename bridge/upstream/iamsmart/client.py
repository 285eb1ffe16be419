"""The bridge's back-channel calls to iAM Smart: getKey, getToken and profiles
(docs/protocols.md §1.6, §1.8–§1.11).

The content key (CEK) is fetched on first use and kept until `issueAt + expiresIn`.
iAM Smart may rotate it at any time, so a D30002/D30004 answer triggers one fresh getKey
and one retry of the request. Every failure becomes an `UpstreamError` whose detail holds
the endpoint, the D-code and txID, never personal data.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from typing import Any

import httpx

from bridge.clock import Clock
from bridge.errors import UpstreamError, UpstreamFailure
from bridge.upstream.iamsmart import protocol
from bridge.upstream.iamsmart.config import IamSmartConfig
from bridge.upstream.iamsmart.crypto import CryptoError, Kek, seal, unseal
from bridge.upstream.iamsmart.signing import RequestSigner

logger = logging.getLogger(__name__)

_TIMESTAMP_RETRIES = 8
"""Sends of one request when iAM Smart finds its timestamp behind an earlier one."""

_REFRESH_MARGIN_MS = 30_000
"""Refetch a CEK this long before it expires, so it does not lapse while in flight."""


@dataclass(frozen=True, slots=True)
class ContentKey:
    key: bytes
    expires_at_ms: int
    refresh_at_ms: int


@dataclass(frozen=True, slots=True)
class TokenGrant:
    """getToken's answer (§1.6); `access_token` and `open_id` stay inside the connector."""

    access_token: str
    open_id: str
    user_type: str
    last_modified_date: int
    scope: tuple[str, ...]


def _fail(
    failure: UpstreamFailure, endpoint: str, what: str, code: str | None = None
) -> UpstreamError:
    return UpstreamError(failure, f"iAM Smart {endpoint}: {what}", upstream_code=code)


def _require(content: dict[str, Any], endpoint: str, name: str, kind: type) -> Any:
    value = content.get(name)
    # bool is an int in Python, but never a valid epoch or duration here.
    if not isinstance(value, kind) or isinstance(value, bool) or value == "":
        raise _fail(UpstreamFailure.PROTOCOL, endpoint, f"answer lacks a valid {name}")
    return value


class IamSmartClient:
    def __init__(
        self, config: IamSmartConfig, *, http: httpx.AsyncClient, clock: Clock, kek: Kek
    ) -> None:
        self._config = config
        self._http = http
        self._clock = clock
        self._kek = kek
        self._signer = RequestSigner(config.client_id, config.client_secret, clock)
        self._key: ContentKey | None = None
        self._key_lock = asyncio.Lock()

    def forget_key(self) -> None:
        self._key = None

    async def get_token(self, code: str) -> TokenGrant:
        endpoint = "getToken"
        content = await self._call_sealed(
            protocol.GET_TOKEN, endpoint, {"code": code, "grantType": "authorization_code"}
        )
        scope = content.get("scope", "")
        return TokenGrant(
            access_token=_require(content, endpoint, "accessToken", str),
            open_id=_require(content, endpoint, "openID", str),
            user_type=_require(content, endpoint, "userType", str),
            last_modified_date=_require(content, endpoint, "lastModifiedDate", int),
            scope=tuple(scope.split()) if isinstance(scope, str) else (),
        )

    async def profiles(
        self, grant: TokenGrant, profile_fields: list[str], eme_fields: list[str]
    ) -> dict[str, Any]:
        payload = {
            "accessToken": grant.access_token,
            "openID": grant.open_id,
            "profileFields": profile_fields,
            "eMEFields": eme_fields,
        }
        content = await self._call_sealed(protocol.PROFILES, "profiles", payload)
        # Keep only what was asked for, whatever the upstream sends (data minimisation).
        wanted = set(profile_fields) | set(eme_fields)
        return {name: value for name, value in content.items() if name in wanted}

    async def _call_sealed(
        self, path: str, endpoint: str, payload: dict[str, Any]
    ) -> dict[str, Any]:
        plaintext = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        key = await self._content_key()
        answer = await self._post_sealed(path, endpoint, plaintext, key)
        if answer["code"] in protocol.STALE_KEY_CODES:
            logger.warning(
                "iAM Smart refused the content key; fetching a new one",
                extra={"endpoint": endpoint, "upstream_code": answer["code"]},
            )
            key = await self._content_key(stale=key)
            answer = await self._post_sealed(path, endpoint, plaintext, key)
        if answer["code"] != protocol.SUCCESS:
            raise self._refusal(endpoint, answer)
        content = answer.get("content")
        if not isinstance(content, str):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "success without content")
        try:
            opened = json.loads(unseal(key.key, content))
        except CryptoError as exc:
            raise _fail(
                UpstreamFailure.PROTOCOL, endpoint, f"content does not decrypt: {exc}"
            ) from exc
        except ValueError as exc:
            raise _fail(
                UpstreamFailure.PROTOCOL, endpoint, "decrypted content is not JSON"
            ) from exc
        if not isinstance(opened, dict):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "decrypted content is not an object")
        return opened

    async def _post_sealed(
        self, path: str, endpoint: str, plaintext: bytes, key: ContentKey
    ) -> dict[str, Any]:
        content = seal(key.key, plaintext)
        body = json.dumps({"content": content}, separators=(",", ":")).encode("ascii")
        signed = body if self._config.signature_body == "raw_body" else content.encode("ascii")
        return await self._post(path, endpoint, body, signed)

    async def _content_key(self, stale: ContentKey | None = None) -> ContentKey:
        async with self._key_lock:
            key = self._key
            now_ms = int(self._clock.now() * 1000)
            # Another task may already have replaced the stale key while we waited.
            if key is not None and key is not stale and now_ms < key.refresh_at_ms:
                return key
            self._key = await self._get_key()
            return self._key

    async def _get_key(self) -> ContentKey:
        endpoint = "getKey"
        answer = await self._post(protocol.GET_KEY, endpoint, b"", b"")
        if answer["code"] != protocol.SUCCESS:
            raise self._refusal(endpoint, answer)
        content = answer.get("content")
        if not isinstance(content, dict):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "success without content")
        secret_key = _require(content, endpoint, "secretKey", str)
        issue_at = _require(content, endpoint, "issueAt", int)
        expires_in = _require(content, endpoint, "expiresIn", int)
        if not self._kek.matches(_require(content, endpoint, "pubKey", str)):
            raise _fail(
                UpstreamFailure.REFUSED,
                endpoint,
                "pubKey is not our KEK: the key uploaded to ESP differs from kek_private_key_file",
            )
        try:
            cek = self._kek.unwrap(secret_key)
        except CryptoError as exc:
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, str(exc)) from exc
        expires_at = issue_at + expires_in
        margin = min(_REFRESH_MARGIN_MS, expires_in // 10)
        return ContentKey(cek, expires_at, expires_at - margin)

    async def _post(self, path: str, endpoint: str, body: bytes, signed: bytes) -> dict[str, Any]:
        """Send a signed request; re-sign and resend when iAM Smart says our timestamp is
        behind one it has already seen (D20016). iAM Smart wants every request's
        timestamp >= the previous one of the client (docs/protocols.md §1.8), which concurrent
        requests — from one instance or several — cannot guarantee on arrival; a refused
        request changed nothing upstream, so sending it again with a fresh timestamp and
        nonce is safe. Measured with `python -m bench` (2 workers, 32 concurrent
        residents): 116 of ~500 logins failed this way without resending, about 1 in 170
        with 3 immediate resends, none in ~360 with up to 8 jittered sends."""
        for attempt in range(_TIMESTAMP_RETRIES):
            answer = await self._post_once(path, endpoint, body, signed)
            if answer.get("code") != protocol.TIMESTAMP_OUT_OF_WINDOW:
                return answer
            if attempt + 1 < _TIMESTAMP_RETRIES:
                # A few random milliseconds, so that two instances refused together do
                # not collide again on their resends.
                await asyncio.sleep(random.uniform(0.002, 0.010) * (attempt + 1))  # noqa: S311
        return answer

    async def _post_once(
        self, path: str, endpoint: str, body: bytes, signed: bytes
    ) -> dict[str, Any]:
        headers = self._signer.headers(signed)
        if body:
            headers["Content-Type"] = "application/json"
        try:
            response = await self._http.post(
                self._config.api_base_url + path,
                content=body,
                headers=headers,
                timeout=self._config.timeout_seconds,
            )
        except httpx.TimeoutException as exc:
            raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, "timed out") from exc
        except httpx.TransportError as exc:
            raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, type(exc).__name__) from exc
        status = response.status_code
        if status >= 500 or status == 429:
            raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, f"HTTP {status}", f"HTTP {status}")
        if status != 200:
            raise _fail(UpstreamFailure.REFUSED, endpoint, f"HTTP {status}", f"HTTP {status}")
        try:
            answer = response.json()
        except ValueError as exc:
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "answer is not JSON") from exc
        if not isinstance(answer, dict) or not isinstance(answer.get("code"), str):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "answer is not an iAM Smart envelope")
        return answer

    @staticmethod
    def _refusal(endpoint: str, answer: dict[str, Any]) -> UpstreamError:
        code = str(answer["code"])
        failure = protocol.failure_for(code)
        if code in protocol.STALE_KEY_CODES:
            # Still refused with a key fetched a moment ago: the two sides disagree on
            # content encryption, which no retry will fix.
            failure = UpstreamFailure.PROTOCOL
        tx_id = answer.get("txID")
        tx = (
            f" (txID {tx_id})"
            if isinstance(tx_id, str) and tx_id.isalnum() and len(tx_id) <= 64
            else ""
        )
        return _fail(failure, endpoint, protocol.describe(code) + tx, code)
