"""Real HTTP servers on loopback for tests (httpx's TestServer idea).

Sockets are bound before any app is built, so apps that must know each other's URLs
(the bridge and the mock IdPs) can be configured with them up front.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn


def bind_loopback(port: int = 0) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only disables Nagle on accepted connections when
    # the listening socket says it is TCP; with proto 0 every keep-alive request waits
    # ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@dataclass(frozen=True)
class Tls:
    """A server certificate and its key (PEM files), for a server that speaks https."""

    certificate: str
    key: str


def start_server(app: Any, sock: socket.socket, tls: Tls | None = None) -> RunningServer:
    """Serve an ASGI app on an already bound socket in a background thread."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        access_log=False,
        ssl_certfile=tls.certificate if tls else None,
        ssl_keyfile=tls.key if tls else None,
    )
    server = uvicorn.Server(config)

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"server-{url_of(sock)}", daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        if not thread.is_alive():
            raise RuntimeError(f"server on {url_of(sock)} failed to start")
        threading.Event().wait(0.01)
    else:
        raise RuntimeError(f"server on {url_of(sock)} did not start in 5 s")
    url = url_of(sock).replace("http://", "https://") if tls else url_of(sock)
    return RunningServer(url=url, server=server, thread=thread)


@contextlib.contextmanager
def serving(app: Any, sock: socket.socket | None = None) -> Iterator[RunningServer]:
    running = start_server(app, sock or bind_loopback())
    try:
        yield running
    finally:
        running.stop()


@contextlib.contextmanager
def serving_all(
    *apps_and_sockets: tuple[Any, socket.socket], tls: dict[int, Tls] | None = None
) -> Iterator[list[RunningServer]]:
    """Start several servers, and stop them all at once (each takes ~0.2 s to stop).
    `tls` names, by position, the servers that speak https."""
    running: list[RunningServer] = []
    try:
        for position, (app, sock) in enumerate(apps_and_sockets):
            running.append(start_server(app, sock, (tls or {}).get(position)))
        yield running
    finally:
        for server in running:
            server.server.should_exit = True
        for server in running:
            server.thread.join(timeout=10)
