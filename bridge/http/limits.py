"""Limits on what one HTTP request may cost the bridge before any of its code runs:
request line, header block, body, and the time a client may take to send them.

Why a protocol subclass and not uvicorn's settings or an ASGI guard (measured on
uvicorn 0.54 with httptools 0.9, `bridge serve`'s server): uvicorn has no setting for
header size, header count or request-line length with httptools (64 KB and 1 MB
headers and 2,000 header fields were answered 200), and none for how long headers or a
promised body may take (`timeout_keep_alive` only covers the idle time between
requests: a request whose headers never end was held open indefinitely). h11's
`h11_max_incomplete_event_size` caps the header block only, answers it with a bare
400, and h11 is about a third slower here. An ASGI guard runs only after the whole
header block has been read, so it cannot limit the headers, nor time them. The parser
callbacks of uvicorn's own httptools protocol see every piece as it arrives; this
subclass counts there, arms a timer per phase, and answers in the protocol's JSON
error shape (RFC 6749 §5.2 `invalid_request`) with `Connection: close`.

The numbers (README, "Limits and rate limits"): request line 8 KiB → 414; header
block 16 KiB or 100 fields → 431; body 64 KiB → 413 (the largest any endpoint accepts:
forms are capped again, lower, where they are read); headers within 10 s of the
connection or of the request's first byte, the body within 10 s of the headers → 408.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bridge.http.one_write import OneWriteResponse

MAX_REQUEST_LINE = 8 * 1024
MAX_HEADER_BYTES = 16 * 1024
MAX_HEADER_FIELDS = 100
MAX_BODY_BYTES = 64 * 1024
HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 10.0

_REASONS = {
    408: (b"Request Timeout", "The request was not received in time"),
    413: (b"Content Too Large", "The request body is too large"),
    414: (b"URI Too Long", "The request line is too long"),
    431: (b"Request Header Fields Too Large", "The request headers are too large"),
}


def refusal(status: int) -> bytes:
    """A complete HTTP/1.1 response refusing the request, closing the connection."""
    reason, description = _REASONS[status]
    body = orjson.dumps({"error": "invalid_request", "error_description": description})
    head = (
        b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncache-control: no-store\r\n"
        b"content-length: %d\r\nconnection: close\r\n\r\n" % (status, reason, len(body))
    )
    return head + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the limits above. The class attributes are the
    limits, so a test can run a subclass with shorter timeouts."""

    max_request_line = MAX_REQUEST_LINE
    max_header_bytes = MAX_HEADER_BYTES
    max_header_fields = MAX_HEADER_FIELDS
    max_body_bytes = MAX_BODY_BYTES
    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused = False
        self._reading_head = True
        self._head_bytes = 0
        self._timer: asyncio.TimerHandle | None = None
        self._url_bytes = 0
        self._header_bytes = 0
        self._header_fields = 0
        self._body_bytes = 0

    # --- timers ------------------------------------------------------------------------

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._refuse, 408)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _refuse(self, status: int) -> None:
        """Answer `status` unless a response is already under way, and close."""
        if self._refused:
            return
        self._refused = True
        self._disarm()
        cycle = self.cycle
        if self._reading_head:
            # `cycle` is the previous request's: a pipelined one still being answered
            # leaves no room for a status line of ours.
            too_late = cycle is not None and not cycle.response_complete
        else:
            too_late = cycle.response_started
            # The app may be waiting for the body: it now reads a disconnect, and
            # whatever it sends is dropped instead of following this answer.
            cycle.disconnected = True
            cycle.message_event.set()
        if too_late:
            self.transport.close()
            return
        if not self.transport.is_closing():
            self.transport.write(refusal(status))
            self.transport.close()

    # --- the connection and the parser's callbacks -------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.header_timeout)  # a connection that never sends a byte

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        super().data_received(data)
        # httptools hands a header over only once it is complete, buffering it until
        # then: a header that never ends is caught here, by what has arrived.
        if self._reading_head and not self._refused:
            self._head_bytes += len(data)
            if self._head_bytes > self.max_request_line + self.max_header_bytes:
                self._refuse(431)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._url_bytes = self._header_bytes = self._header_fields = self._body_bytes = 0
        self._arm(self.header_timeout)

    def on_url(self, url: bytes) -> None:
        self._url_bytes += len(url)
        if self._url_bytes > self.max_request_line:
            self._refuse(414)
        elif not self._refused:
            super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_fields += 1
        self._header_bytes += len(name) + len(value) + 4  # ": " and CRLF
        if (
            self._header_fields > self.max_header_fields
            or self._header_bytes > self.max_header_bytes
        ):
            self._refuse(431)
        elif not self._refused:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        length = self.parser_content_length()
        if length is not None and length > self.max_body_bytes:
            self._refuse(413)  # before the app sees it: the head is all there is
            return
        self._reading_head = False
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:  # not an upgrade
            self.cycle.transport = OneWriteResponse(self.transport)  # type: ignore[assignment]
        if length or self._chunked():
            self._arm(self.body_timeout)

    def on_body(self, body: bytes) -> None:
        if self._refused:
            return
        self._body_bytes += len(body)
        if self._body_bytes > self.max_body_bytes:
            self._refuse(413)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        self._reading_head, self._head_bytes = True, 0  # the next request's, if any
        super().on_message_complete()

    # --- what the headers promise ------------------------------------------------------

    def parser_content_length(self) -> int | None:
        for name, value in self.headers:
            if name == b"content-length":
                return int(value) if value.strip().isdigit() else None
        return None

    def _chunked(self) -> bool:
        return any(
            name == b"transfer-encoding" and b"chunked" in value.lower()
            for name, value in self.headers
        )


UVICORN_OPTIONS: dict[str, Any] = {
    "http": "bridge.http.limits:GuardedHttpToolsProtocol",
    "server_header": False,  # `server: uvicorn` tells an attacker what to try
}
"""What `bridge serve` passes to uvicorn (a string, so spawned workers import it)."""
