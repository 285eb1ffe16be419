"""A response's head waits for its body and both go out in one write
(bridge/http/one_write.py); nothing else is held."""

from __future__ import annotations

import asyncio
from typing import cast

from bridge.http.one_write import OneWriteResponse


class Recorder:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


def wrapped() -> tuple[Recorder, OneWriteResponse]:
    recorder = Recorder()
    return recorder, OneWriteResponse(cast(asyncio.Transport, recorder))


def test_the_head_goes_out_with_the_body() -> None:
    recorder, transport = wrapped()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    assert recorder.writes == []
    transport.write(b"{}")
    assert recorder.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]


def test_later_body_chunks_are_written_at_once_even_if_they_look_like_a_head() -> None:
    recorder, transport = wrapped()
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    transport.write(b"a")
    transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert recorder.writes == [b"HTTP/1.1 200 OK\r\n\r\na", b"HTTP/1.1 200 OK\r\n\r\n"]


def test_100_continue_is_not_held() -> None:
    recorder, transport = wrapped()
    transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    assert recorder.writes == [b"HTTP/1.1 100 Continue\r\n\r\n"]
    transport.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    transport.write(b"")
    assert recorder.writes[1:] == [b"HTTP/1.1 204 No Content\r\n\r\n"]


def test_a_close_writes_a_held_head_first() -> None:
    recorder, transport = wrapped()
    transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n")
    transport.close()
    assert recorder.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n"]
    assert recorder.closed and transport.is_closing()
