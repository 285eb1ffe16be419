"""`bridge serve` as a real child process (its own uvicorn, its own logging set-up), with
the mock identity providers served in this process on loopback, for tests of what the
served bridge writes to its logs and of its HTTP server's limits."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from mock_idps.guangdong import app as guangdong_app
from mock_idps.guangdong.config import load_config as load_guangdong_config
from mock_idps.iamsmart import create_app as create_iamsmart
from mock_idps.iamsmart.config import load_config as load_iamsmart_config
from tests.flows.conftest import REPO
from tests.support.dev_keys import development_keys_now
from tests.support.ports import free_port
from tests.support.servers import bind_loopback, serving_all, url_of


@dataclass
class Served:
    bridge: str
    iamsmart: str
    guangdong: str
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    def log_lines(self) -> list[str]:
        return self.log_path.read_text(errors="replace").splitlines()


def _wait_ready(url: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"bridge serve exited: {log_path.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"bridge serve did not become ready: {log_path.read_text()[-2000:]}")


@contextmanager
def served_bridge(
    tmp_path: Path, redis_url: str, *, settings: dict[str, str] | None = None
) -> Iterator[Served]:
    """The bridge on `redis_url` (emptied first), configured by BRIDGE_* variables as an
    operator would; `settings` adds or overrides variables."""
    sockets = [bind_loopback() for _ in range(2)]
    iamsmart_url, guangdong_url = (url_of(s) for s in sockets)
    bridge_url = f"http://127.0.0.1:{free_port()}"
    keys_dir = tmp_path / "keys"
    development_keys_now(keys_dir)
    upstream_env = {
        "IAMSMART_PUBLIC_URL": iamsmart_url,
        "IAMSMART_API_URL": iamsmart_url,
        "GUANGDONG_PUBLIC_URL": guangdong_url,
        "GUANGDONG_API_URL": guangdong_url,
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / KEK_FILE),
    }
    mocks_env = {**upstream_env, "BRIDGE_ISSUER": bridge_url}
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        **upstream_env,
        "BRIDGE_ENV": "development",
        "BRIDGE_ISSUER": bridge_url,
        "BRIDGE_REDIS_URL": redis_url,
        "BRIDGE_KEYS_DIR": str(keys_dir),
        "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
        "BRIDGE_LOG_LEVEL": "DEBUG",
        **(settings or {}),
    }
    with redis.Redis.from_url(redis_url) as client:
        client.flushdb()
    iamsmart = create_iamsmart(load_iamsmart_config(env=mocks_env))
    guangdong = guangdong_app.create_app(load_guangdong_config(env=mocks_env))
    log_path = tmp_path / "bridge-serve.log"
    port = bridge_url.rsplit(":", 1)[1]
    with serving_all((iamsmart, sockets[0]), (guangdong, sockets[1])), log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1", "--port", port],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_ready(bridge_url, process, log_path)
            yield Served(bridge_url, iamsmart_url, guangdong_url, process, log_path, env)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
