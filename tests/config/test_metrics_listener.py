"""/metrics is not on the public listener: `bridge serve --metrics-port` serves it on a
listener of its own (loopback by default) that serves nothing else, and the public
listener answers 404 unless BRIDGE_METRICS_PUBLIC turns it on. Over real HTTP."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.config.production import REPO
from tests.support.client_tls import TRUSTED
from tests.support.dev_keys import development_keys_now
from tests.support.ports import free_ports


@contextmanager
def serving(keys_dir: Path, *args: str, **env: str) -> Iterator[str]:
    development_keys_now(keys_dir)
    (port,) = free_ports(1)
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bridge",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            *args,
        ],
        cwd=REPO,
        env={
            "PATH": "/usr/bin:/bin",
            "BRIDGE_ENV": "development",
            "BRIDGE_KEYS_DIR": str(keys_dir),
            "BRIDGE_LOG_LEVEL": "WARNING",
            **env,
        },
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, f"serve exited with {process.returncode}"
            assert time.monotonic() < deadline, "serve did not come up"
            try:
                if httpx.get(f"{url}/readyz", timeout=1, verify=TRUSTED).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_metrics_are_served_on_their_own_listener_only(tmp_path: Path) -> None:
    (metrics_port,) = free_ports(1)
    with serving(tmp_path / "keys", "--metrics-port", str(metrics_port)) as public:
        metrics = f"http://127.0.0.1:{metrics_port}"
        httpx.get(f"{public}/jwks.json", verify=TRUSTED).raise_for_status()
        scraped = httpx.get(f"{metrics}/metrics", verify=TRUSTED)
        assert scraped.status_code == 200
        assert "bridge_jwks_requests_total 1.0" in scraped.text
        assert httpx.get(f"{public}/metrics", verify=TRUSTED).status_code == 404
        assert (
            httpx.get(f"{metrics}/.well-known/openid-configuration", verify=TRUSTED).status_code
            == 404
        )
        assert httpx.get(f"{metrics}/authorize", verify=TRUSTED).status_code == 404


def test_the_metrics_port_can_come_from_the_environment(tmp_path: Path) -> None:
    (metrics_port,) = free_ports(1)
    with serving(tmp_path / "keys", BRIDGE_METRICS_PORT=str(metrics_port)) as public:
        assert (
            httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", verify=TRUSTED).status_code == 200
        )
        assert httpx.get(f"{public}/metrics", verify=TRUSTED).status_code == 404


def test_public_metrics_only_when_explicitly_enabled(tmp_path: Path) -> None:
    with serving(tmp_path / "keys") as public:
        assert httpx.get(f"{public}/metrics", verify=TRUSTED).status_code == 404
    with serving(tmp_path / "keys", BRIDGE_METRICS_PUBLIC="true") as public:
        assert "bridge_jwks_requests" in httpx.get(f"{public}/metrics", verify=TRUSTED).text
