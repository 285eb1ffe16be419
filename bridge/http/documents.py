"""Discovery (OIDC Discovery §4), authorization server metadata (RFC 8414 §3) and the
JWKS (RFC 7517 §5) as bytes rendered once, answered before FastAPI's middleware and
routing (`BridgeApp.__call__` in bridge/app.py).

Why: these are the most requested documents, they are public, the same for every
caller, and they change only with the key set (the JWKS) or never while the process
runs (the metadata). Through FastAPI's middleware, router and `JSONResponse`, with the
access-log line, one cost ~140 µs of CPU; from ready bytes ~35 µs, about what uvicorn
itself needs (bench/README.md, "Where the time goes"). What they skip: the per-request
access-log line (their volume is in the metrics: `bridge_jwks_requests`) and the
last-resort error handler (nothing here can fail). What they keep: the request id
(echoed or fresh), caching headers with an ETag (`304` to a matching If-None-Match),
`nosniff`, and the bridge's JSON 405 for other methods; any other path, near ones
included, goes on to the router and its JSON 404.

Both metadata paths serve one identical document: RFC 8414 §2 lets OIDC members stand
in it, and a client reading either path must see the same endpoints and algorithms.
The JWKS is rendered again when the key ring serves another `KeySet` (a rotation, a
key published or retired), checked by identity on each request: no timer, no stale
window beyond the ring's own refresh.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import Scope, Send

from bridge.http.middleware import request_id_of
from bridge.metrics import BridgeMetrics
from bridge.signing.keyset import KeySet
from bridge.wire import NO_STORE_HEADERS

METADATA_PATHS = ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server")
JWKS_PATH = "/jwks.json"
JWKS_MEDIA_TYPE = "application/jwk-set+json"
_SECURITY = ((b"x-content-type-options", b"nosniff"),)


def render_json(document: Mapping[str, Any]) -> bytes:
    """The bytes `JSONResponse` sends for `document` (what the FastAPI routes sent)."""
    return bytes(JSONResponse(document).body)


@dataclass(frozen=True, slots=True)
class Document:
    """One rendered answer: its body, and the header lists of a 200 and of a 304."""

    body: bytes
    etag: bytes
    full: tuple[tuple[bytes, bytes], ...]
    not_modified: tuple[tuple[bytes, bytes], ...]

    @classmethod
    def of(cls, document: Mapping[str, Any], media_type: str, max_age: int) -> Document:
        body = render_json(document)
        digest = base64.urlsafe_b64encode(hashlib.sha256(body).digest()[:18]).decode()
        etag = f'"{digest}"'.encode()
        # RFC 9110 §15.4.5: a 304 carries the validators and caching headers a 200 would.
        caching = ((b"cache-control", f"public, max-age={max_age}".encode()), (b"etag", etag))
        return cls(
            body=body,
            etag=etag,
            full=(
                (b"content-type", media_type.encode()),
                (b"content-length", str(len(body)).encode()),
                *caching,
                *_SECURITY,
            ),
            not_modified=(*caching, *_SECURITY),
        )

    def matches(self, if_none_match: bytes) -> bool:
        """RFC 9110 §13.1.2: weak comparison, a list of tags or `*`."""
        tags = {t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")}
        return b"*" in tags or self.etag in tags


_METHOD_NOT_ALLOWED = render_json(
    {"error": "invalid_request", "error_description": "Method not allowed"}
)
_405_HEADERS = (
    (b"allow", b"GET"),
    *((k.lower().encode(), v.encode()) for k, v in NO_STORE_HEADERS.items()),
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_METHOD_NOT_ALLOWED)).encode()),
)


class StaticDocuments:
    """Answers the metadata and JWKS paths from rendered bytes; every other path is
    left to the app (unknown paths still get the router's JSON 404)."""

    def __init__(
        self,
        *,
        discovery: Mapping[str, Any],
        keys: Callable[[], KeySet],
        jwks_max_age: int,
        metrics: BridgeMetrics,
    ) -> None:
        self.metadata = Document.of(discovery, "application/json", 3600)
        self._keys = keys
        self._jwks_max_age = jwks_max_age
        self._metrics = metrics
        self._jwks_of: KeySet | None = None
        self._jwks: Document | None = None

    def jwks(self) -> Document:
        """The JWKS of the key set the ring serves now, rendered once per key set."""
        keyset = self._keys()
        if keyset is not self._jwks_of or self._jwks is None:
            self._jwks = Document.of(keyset.jwks(), JWKS_MEDIA_TYPE, self._jwks_max_age)
            self._jwks_of = keyset
        return self._jwks

    async def answer(self, scope: Scope, send: Send) -> bool:
        """Answer `scope` if it asks for one of the documents; False if it does not."""
        if scope["type"] != "http":
            return False
        path = scope["path"]
        if path == JWKS_PATH:
            document = self.jwks()
        elif path in METADATA_PATHS:
            document = self.metadata
        else:
            return False
        headers = scope["headers"]
        request_id = (b"x-request-id", request_id_of(headers).encode("latin-1"))
        if scope["method"] != "GET":
            await _send(send, 405, (*_405_HEADERS, request_id), _METHOD_NOT_ALLOWED)
            return True
        if path == JWKS_PATH:
            self._metrics.jwks_requests.inc()
        for name, value in headers:
            if name == b"if-none-match" and document.matches(value):
                await _send(send, 304, (*document.not_modified, request_id), b"")
                return True
        await _send(send, 200, (*document.full, request_id), document.body)
        return True


async def _send(
    send: Send, status: int, headers: tuple[tuple[bytes, bytes], ...], body: bytes
) -> None:
    # A fresh list: the layers outside append to it (the request id).
    await send({"type": "http.response.start", "status": status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": body})
