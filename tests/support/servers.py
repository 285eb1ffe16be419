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


def bind_loopback(port: int = 0, *, listen: bool = True) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio only disables Nagle on accepted connections when
    # the listening socket says it is TCP; with proto 0 every keep-alive request waits
    # ~40 ms for a delayed ACK.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a restart rebinds it
    sock.bind(("127.0.0.1", port))
    # Listening at once: the tests run in several processes, and Linux lets two
    # SO_REUSEADDR sockets bind one port while neither listens, so a second server
    # failed at listen() with "Address already in use"; a listening one keeps its port.
    if listen:
        sock.listen(128)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"


class PromptServer(uvicorn.Server):
    """A uvicorn server that stops as soon as it is told to.

    uvicorn's own main loop looks at `should_exit` every 0.1 s, which every test that
    starts a chain paid (over a thousand of them); here the stop is an event. The
    shutdown is uvicorn's, with its 0.1 s for connections to close: without it, a
    back-channel delivery still in flight could leave its connection unclosed (seen as a
    ResourceWarning in about one run in seven of the logout tests).
    """

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def request_stop(self) -> None:
        self.should_exit = True
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None:
            with contextlib.suppress(RuntimeError):  # its loop has already closed
                loop.call_soon_threadsafe(stop.set)

    async def main_loop(self) -> None:
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        while not await self.on_tick(0):  # tick 0: refreshes the Date header
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), timeout=1.0)


@dataclass
class RunningServer:
    url: str
    server: PromptServer
    thread: threading.Thread

    def stop(self) -> None:
        self.server.request_stop()
        self.thread.join(timeout=10)


@dataclass(frozen=True)
class Tls:
    """A server certificate and its key (PEM files), for a server that speaks https."""

    certificate: str
    key: str


def launch_server(app: Any, sock: socket.socket, tls: Tls | None = None) -> RunningServer:
    """Start serving an ASGI app on an already bound socket in a background thread,
    without waiting for it to be up (`wait_started`)."""
    config = uvicorn.Config(
        app,
        log_level="warning",
        lifespan="on",
        access_log=False,
        ssl_certfile=tls.certificate if tls else None,
        ssl_keyfile=tls.key if tls else None,
    )
    server = PromptServer(config)

    def run() -> None:
        asyncio.run(server.serve(sockets=[sock]))

    thread = threading.Thread(target=run, name=f"server-{url_of(sock)}", daemon=True)
    thread.start()
    url = url_of(sock).replace("http://", "https://") if tls else url_of(sock)
    return RunningServer(url=url, server=server, thread=thread)


def wait_started(running: RunningServer) -> RunningServer:
    for _ in range(5000):
        if running.server.started:
            return running
        if not running.thread.is_alive():
            raise RuntimeError(f"server on {running.url} failed to start")
        threading.Event().wait(0.001)
    raise RuntimeError(f"server on {running.url} did not start in 5 s")


def start_server(app: Any, sock: socket.socket, tls: Tls | None = None) -> RunningServer:
    """Serve an ASGI app on an already bound socket in a background thread."""
    return wait_started(launch_server(app, sock, tls))


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
    """Start several servers side by side, and stop them all at once. `tls` names, by
    position, the servers that speak https."""
    running: list[RunningServer] = []
    try:
        for position, (app, sock) in enumerate(apps_and_sockets):
            running.append(launch_server(app, sock, (tls or {}).get(position)))
        for server in running:
            wait_started(server)
        yield running
    finally:
        for server in running:
            server.server.request_stop()
        for server in running:
            server.thread.join(timeout=10)
