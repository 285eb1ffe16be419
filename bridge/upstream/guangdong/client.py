"""The bridge's two back-channel calls to the Guangdong platform: `access_token` (code →
short-lived token) and `tokeninfo` (token → `userobj`).

Both are GETs with their secrets in the query string — the dialect's own shape, which
every integration seen uses; OpenAM-style endpoints read the query. Such URLs are
secrets themselves: they are never logged (httpx's request log loses its query strings,
`bridge.logs.redact_outgoing_query_strings`) and never put into an error. Each call is
bounded in time as a whole, not only per socket operation, and in answer size.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import httpx

from bridge.errors import UpstreamError, UpstreamFailure
from bridge.upstream.guangdong import protocol
from bridge.upstream.guangdong.config import GuangdongConfig

_TOKEN = re.compile(r"[A-Za-z0-9._~+/=-]{1,512}")


class _Oversized(Exception):
    pass


def _fail(
    failure: UpstreamFailure, endpoint: str, what: str, code: str | None = None
) -> UpstreamError:
    return UpstreamError(failure, f"Guangdong {endpoint}: {what}", upstream_code=code)


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > protocol.MAX_RESPONSE_BYTES:
        raise _Oversized
    if response.headers.get("content-encoding", "identity").lower() != "identity":
        # Raw bytes only: a compressed answer could inflate far past the cap in one chunk.
        raise _Oversized
    body = bytearray()
    async for chunk in response.aiter_raw():
        body += chunk
        if len(body) > protocol.MAX_RESPONSE_BYTES:
            raise _Oversized
    return bytes(body)


class TifClient:
    def __init__(self, config: GuangdongConfig, *, http: httpx.AsyncClient) -> None:
        self._config = config
        self._http = http

    async def access_token(self, code: str) -> str:
        endpoint = "access_token"
        params = {
            "client_id": self._config.client_id,
            "client_secret": self._config.client_secret.get_secret_value(),
            "code": code,
            "grant_type": "authorization_code",
            "redirect_uri": str(self._config.redirect_uri),
            "scope": protocol.SCOPE,
        }
        status, body = await self._get(protocol.ACCESS_TOKEN, params, endpoint)
        if "error" in body or "error_code" in body:
            error = protocol.wire_code(body.get("error"))
            error_code = protocol.wire_code(body.get("error_code"))
            code_text = "/".join(c for c in (error, error_code) if c)
            failure = protocol.token_failure(error, error_code)
            raise _fail(failure, endpoint, f"refused ({code_text})", code_text)
        if status != 200:
            raise _fail(UpstreamFailure.REFUSED, endpoint, f"HTTP {status}", f"HTTP {status}")
        token, token_type = body.get("access_token"), body.get("token_type", "Bearer")
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "answer lacks a usable access_token")
        if not isinstance(token_type, str) or token_type.lower() != "bearer":
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "token_type is not Bearer")
        # A refresh_token or an expiry, if any, is of no use: the token is spent at once.
        return token

    async def userobj(self, access_token: str) -> dict[str, Any]:
        endpoint = "tokeninfo"
        status, body = await self._get(protocol.TOKENINFO, {"access_token": access_token}, endpoint)
        errcode = body.get("errcode")
        if not protocol.is_success_errcode(errcode):
            code = protocol.wire_code(errcode)
            failure = protocol.tokeninfo_failure(code)
            raise _fail(failure, endpoint, f"refused (errcode {code})", f"errcode {code}")
        if status != 200:
            raise _fail(UpstreamFailure.REFUSED, endpoint, f"HTTP {status}", f"HTTP {status}")
        userobj = body.get("userobj")
        if not isinstance(userobj, dict):
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "answer has no userobj")
        return userobj

    async def _get(
        self, path: str, params: dict[str, str], endpoint: str
    ) -> tuple[int, dict[str, Any]]:
        """Status and JSON object of a GET; every failure to get one is an UpstreamError."""
        timeout = self._config.timeout_seconds
        headers = {"Accept": "application/json", "Accept-Encoding": "identity"}
        try:
            async with asyncio.timeout(timeout):
                async with self._http.stream(
                    "GET",
                    self._config.api_base_url + path,
                    params=params,
                    headers=headers,
                    timeout=timeout,
                ) as response:
                    status = response.status_code
                    if status >= 500 or status == 429:
                        raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, f"HTTP {status}")
                    raw = await _read_capped(response)
        # `from None` throughout: the httpx exception holds the request, whose URL
        # carries the secrets.
        except (TimeoutError, httpx.TimeoutException):
            raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, "timed out") from None
        except httpx.HTTPError as exc:
            raise _fail(UpstreamFailure.UNAVAILABLE, endpoint, type(exc).__name__) from None
        except _Oversized:
            raise _fail(UpstreamFailure.PROTOCOL, endpoint, "answer too large") from None
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if not isinstance(body, dict):
            # A 4xx page (a gateway's, a proxy's) is a refusal; a 200 must be the answer.
            failure = UpstreamFailure.PROTOCOL if status == 200 else UpstreamFailure.REFUSED
            raise _fail(failure, endpoint, f"HTTP {status}, not a JSON object")
        return status, body
