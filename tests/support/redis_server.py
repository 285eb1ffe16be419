"""A private `redis-server` for the test session.

Tests never touch a Redis they did not start: this one listens on a free loopback
port, keeps nothing on disk, and is shut down at the end of the session.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from tests.support.ports import free_port

INSTALL_HINT = (
    "redis-server is not installed, and the tests need a real one. "
    "Install it with: sudo apt-get install -y redis-server  (Debian/Ubuntu), "
    "or set REDIS_SERVER to the path of a redis-server binary."
)


def find_redis_server(explicit: str | None) -> str | None:
    return explicit or shutil.which("redis-server")


@contextmanager
def private_redis(binary: str) -> Iterator[str]:
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="bridge-test-redis-")
    proc = subprocess.Popen(  # noqa: S603 - a fixed binary with fixed arguments
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"redis-server exited: {err}") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not answer PING in 10 s") from None
                time.sleep(0.02)
        yield url
    finally:
        client.close()
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)
