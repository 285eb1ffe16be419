"""The harness reads wrk's report right whatever the latencies and errors, and a slow or
failing server gives a reported result, never an exception that ends the run.

The samples in wrk_output/ are real `wrk --latency` output (Debian's wrk 4.1.0) against
small loopback servers: fast (us and ms), slow (every response after 1-1.6 s, so wrk
prints padded "1.37s "), errors (503s and a timeout), closed (the server hangs up: read
errors, no response), hung (no response before the end), refused (nothing listening).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.wrk_runner import millis, parse, run_wrk

SAMPLES = Path(__file__).parent / "wrk_output"


def sample(name: str) -> str:
    return (SAMPLES / f"{name}.txt").read_text()


def test_microsecond_and_millisecond_latencies() -> None:
    fast = parse(sample("fast"))
    assert fast["requests_per_second"] == 3528.43
    assert fast["requests"] == 7087
    assert (fast["p50_ms"], fast["p90_ms"], fast["p99_ms"]) == (1.75, 5.83, 13.0)
    assert fast["non_2xx"] == 0 and "failure" not in fast
    assert parse(sample("errors"))["p50_ms"] == pytest.approx(0.435)


def test_latencies_of_a_second_or_more_are_read_despite_the_padding() -> None:
    slow = parse(sample("slow"))
    assert "1.37s \n" in sample("slow")  # the form the old parser refused
    assert (slow["p50_ms"], slow["p90_ms"], slow["p99_ms"]) == (1370.0, 1570.0, 1590.0)
    assert slow["requests"] == 39


@pytest.mark.parametrize(
    ("text", "expected"),
    [("435.00us", 0.435), ("13.00ms", 13.0), ("1.11s ", 1110.0), ("2.00m ", 120_000.0)],
)
def test_every_unit_wrk_prints(text: str, expected: float) -> None:
    assert millis(text) == pytest.approx(expected)


def test_non_2xx_and_socket_errors_are_counted_apart() -> None:
    errors = parse(sample("errors"))
    assert errors["non_2xx"] == 65
    assert errors["timeouts"] == 1
    assert errors["connect_errors"] == errors["read_errors"] == errors["write_errors"] == 0
    closed = parse(sample("closed"))
    assert closed["read_errors"] == 9484


@pytest.mark.parametrize("name", ["closed", "hung"])
def test_a_run_without_any_response_is_a_failure_not_a_zero_latency(name: str) -> None:
    figures = parse(sample(name))
    assert figures["requests"] == 0
    assert figures["failure"] == "no response completed"
    assert figures["p99_ms"] is None


@pytest.mark.parametrize("name", ["refused"])
def test_output_without_a_report_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unreadable wrk output"):
        parse(sample(name))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _SlowHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as wrk expects

    def do_GET(self) -> None:
        time.sleep(1.1)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[int]:
    """An HTTP server on loopback that answers every request after 1.1 s."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SlowHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_a_slow_server_gives_second_latencies(slow_server: int) -> None:
    result = run_wrk(
        "slow",
        f"http://127.0.0.1:{slow_server}/",
        party="bridge",
        connections=4,
        seconds=3,
        workers=1,
    )
    assert result.failure is None
    assert result.requests >= 4
    assert result.p99_ms is not None and 1100 <= result.p99_ms < 2000


def test_nothing_listening_is_reported_as_a_failed_run() -> None:
    result = run_wrk(
        "refused",
        f"http://127.0.0.1:{_free_port()}/",
        party="peer",
        connections=2,
        seconds=1,
        workers=1,
    )
    assert result.failure is not None and "unable to connect" in result.failure
    assert result.requests_per_second == 0.0 and result.p99_ms is None
