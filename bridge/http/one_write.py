"""A response's head and body in one socket write.

uvicorn's httptools protocol writes a response's status line and headers as soon as the
app sends `http.response.start`, and its body with `http.response.body`: two `send`
syscalls and two TCP segments per response, the first of which wakes the client
before the rest is there. `OneWriteResponse` is the transport as one request's cycle
sees it: it holds the head until the body's first write (or a close) and writes both
together. Measured with `python -m bench.ab` (10 interleaved rounds): JWKS, whose
whole cost is the HTTP round, ×0.83 CPU per request (least 31 → 26 µs); the ~5 µs
it saves are lost in the noise of the token endpoints' ~500 µs.

Only the head is ever held, and only until the cycle's next write or close; every
response uvicorn completes ends with a body write (an empty one for HEAD, 204 or an
empty body), so nothing stays held. A `100 Continue` goes out at once.
"""

from __future__ import annotations

import asyncio

_INTERIM = b"HTTP/1.1 100 "


class OneWriteResponse:
    """The three transport methods uvicorn's RequestResponseCycle uses, for one cycle."""

    __slots__ = ("_head", "_seen_head", "_transport")

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._head: bytes | None = None
        self._seen_head = False

    def write(self, data: bytes) -> None:  # uvicorn's cycle writes bytes only
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head + data)
        elif not self._seen_head and not data.startswith(_INTERIM):
            self._seen_head = True  # the cycle's first write after any 100 is the head
            self._head = data
        else:
            self._transport.write(data)

    def close(self) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head)
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()
