"""The production layout as plain processes (no Docker engine here): two `bridge serve`
instances behind a round-robin balancer, on one Redis and one PostgreSQL, with both
mock identity providers on loopback."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from mock_idps.guangdong import app as guangdong_app
from mock_idps.guangdong.config import load_config as load_guangdong_config
from mock_idps.iamsmart import create_app as create_iamsmart
from mock_idps.iamsmart.config import load_config as load_iamsmart_config
from tests.support.dev_keys import development_keys_now
from tests.support.ports import free_port
from tests.support.round_robin import RoundRobin
from tests.support.servers import bind_loopback, serving_all, url_of

REPO = Path(__file__).resolve().parents[2]
SERVE = [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1"]


@dataclass
class Layout:
    url: str
    """The balancer: the bridge's issuer."""
    ports: list[int]
    processes: list[subprocess.Popen[bytes]]
    front: RoundRobin
    logs: list[Path]

    def all_running(self) -> bool:
        return all(p.poll() is None for p in self.processes)


def _wait_healthy(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"bridge serve exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"bridge serve on {port} did not become ready")


@contextmanager
def production_layout(tmp_path: Path, redis_url: str, database_url: str) -> Iterator[Layout]:
    keys_dir = tmp_path / "keys"
    development_keys_now(keys_dir)  # shared by both, as on a volume
    mock_sockets = [bind_loopback(), bind_loopback()]
    iamsmart_url, guangdong_url = (url_of(s) for s in mock_sockets)
    ports = [free_port(), free_port()]
    front = RoundRobin(ports)
    with front.running() as url:
        mocks_env = {
            "BRIDGE_ISSUER": url,  # where the mocks send residents back to
            "IAMSMART_PUBLIC_URL": iamsmart_url,
            "IAMSMART_API_URL": iamsmart_url,
            "GUANGDONG_PUBLIC_URL": guangdong_url,
            "GUANGDONG_API_URL": guangdong_url,
            "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
            "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / KEK_FILE),
            "IAMSMART_TEST_CONTROLS": "true",
            "GUANGDONG_TEST_CONTROLS": "true",
        }
        env = {
            "PATH": "/usr/bin:/bin",
            "BRIDGE_ENV": "development",
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_DATABASE_URL": database_url,
            "BRIDGE_KEYS_DIR": str(keys_dir),
            "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
            "BRIDGE_UPSTREAMS_FILE": str(REPO / "config/upstreams.yaml"),
            "BRIDGE_CLAIMS_DIR": str(REPO / "config/claims"),
            "BRIDGE_TOKEN_EXCHANGE_FILE": str(REPO / "config/token_exchange.yaml"),
            "BRIDGE_LOG_LEVEL": "WARNING",
            # The test replays every code on purpose (none may redeem twice): with the
            # redemption limit on, one client's replays would end in 429s, which
            # tests/hardening/test_rate_limits.py covers.
            "BRIDGE_RATE_LIMIT_CLIENT_AUTH_FAILURES": "0",
            "BRIDGE_RATE_LIMIT_REDEMPTION_FAILURES": "0",
            "BRIDGE_RATE_LIMIT_SIGN_INS": "0",
            **mocks_env,
        }
        iamsmart = create_iamsmart(load_iamsmart_config(env=mocks_env))
        guangdong = guangdong_app.create_app(load_guangdong_config(env=mocks_env))
        with serving_all((iamsmart, mock_sockets[0]), (guangdong, mock_sockets[1])):
            logs = [tmp_path / f"bridge-{n}.log" for n in range(2)]
            processes = []
            try:
                for port, log in zip(ports, logs, strict=True):
                    with log.open("wb") as out:
                        processes.append(
                            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                                [*SERVE, "--port", str(port)],
                                cwd=REPO,
                                env=env,
                                stdout=out,
                                stderr=subprocess.STDOUT,
                            )
                        )
                for port, process, log in zip(ports, processes, logs, strict=True):
                    _wait_healthy(port, process, log)
                yield Layout(url, ports, processes, front, logs)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    try:
                        process.wait(timeout=15)
                    except subprocess.TimeoutExpired:
                        process.kill()
                        process.wait()
