"""The served bridge's limits on a request (bridge.http.limits), over real sockets to a
real `bridge serve` process: request line, header block, body, and the time to send
them; and no `server:` header."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.hardening.served import Served, served_bridge


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Served]:
    with served_bridge(tmp_path_factory.mktemp("served"), redis_url) as running:
        yield running


def connect(served: Served) -> socket.socket:
    host, port = served.bridge.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=15)
    return sock


def exchange(served: Served, raw: bytes) -> bytes:
    """Send `raw`, read until the server closes (or 15 s)."""
    with connect(served) as sock:
        # refused before we finished sending: read what it said
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(raw)
        return read_all(sock)


def read_all(sock: socket.socket) -> bytes:
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return received


def status_of(response: bytes) -> int:
    assert response.startswith(b"HTTP/1.1 "), response[:200]
    return int(response.split(b" ", 2)[1])


def request(path: str, headers: list[str] | None = None, body: bytes = b"") -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: bridge.test", *(headers or [])]
    if body:
        lines += ["Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def test_a_request_line_over_8_kib_is_414(served: Served) -> None:
    response = exchange(served, request("/authorize?x=" + "a" * 8200))
    assert status_of(response) == 414
    assert b'"error":"invalid_request"' in response
    assert status_of(exchange(served, request("/healthz?x=" + "a" * 7000))) != 414


@pytest.mark.parametrize(
    "headers",
    [
        [f"X-Big: {'b' * 17000}"],  # one header over 16 KiB
        [f"X-Big-{i}: {'b' * 1000}" for i in range(20)],  # 20 KB in all
        [f"X-Many-{i}: 1" for i in range(101)],  # 101 fields
        [f"X-Huge: {'h' * 1_000_000}"],  # 1 MB
    ],
    ids=["one-17k", "sum-20k", "101-fields", "1mb"],
)
def test_a_header_block_over_16_kib_or_100_fields_is_431(
    served: Served, headers: list[str]
) -> None:
    response = exchange(served, request("/token", headers))
    assert status_of(response) == 431
    assert b"connection: close" in response.lower()


def test_headers_within_the_limits_are_served(served: Served) -> None:
    headers = [f"X-Fine-{i}: {'f' * 100}" for i in range(90)]
    response = exchange(served, request("/token", [*headers, "Connection: close"], b"x=1"))
    assert status_of(response) in (400, 401)  # the endpoint's own answer


def test_a_body_over_64_kib_is_413_by_length_or_by_what_arrives(served: Served) -> None:
    # Heads only, or no more than is read: a server closing with unread data resets the
    # connection, and its answer can be lost on the way.
    head = b"POST /token HTTP/1.1\r\nHost: bridge.test\r\nContent-Length: 70000\r\n\r\n"
    assert status_of(exchange(served, head)) == 413
    chunked = (
        b"POST /token HTTP/1.1\r\nHost: bridge.test\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n\r\n"
        + b"".join(b"%x\r\n%s\r\n" % (8192, b"y" * 8192) for _ in range(9))
    )  # 72 KiB arrive, no last chunk: refused on what arrived
    assert status_of(exchange(served, chunked)) == 413


def test_a_form_body_over_the_form_cap_is_refused_by_the_endpoint(served: Served) -> None:
    head = (
        b"POST /token HTTP/1.1\r\nHost: bridge.test\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 40000\r\n\r\n"
    )
    response = exchange(served, head)
    assert status_of(response) == 413
    assert b'"error":"invalid_request"' in response


def test_headers_or_a_body_that_never_finish_are_cut_off_after_10_s(served: Served) -> None:
    slow_headers, slow_body, silent = connect(served), connect(served), connect(served)
    started = time.monotonic()
    slow_headers.sendall(b"POST /token HTTP/1.1\r\nHost: bridge.test\r\nX-Slow: ")
    slow_body.sendall(request("/token", body=b"grant_type=x")[:-5])  # 5 bytes promised
    answers = [read_all(s) for s in (slow_headers, slow_body, silent)]
    waited = time.monotonic() - started
    for sock in (slow_headers, slow_body, silent):
        sock.close()
    assert 9 < waited < 14, waited
    assert [status_of(a) for a in answers] == [408, 408, 408]


def test_responses_carry_no_server_header(served: Served) -> None:
    response = httpx.get(f"{served.bridge}/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers
