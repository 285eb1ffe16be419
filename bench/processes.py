"""The servers under test, each a real process as in production: the bridge through
`bridge serve --workers N`, the mocks through their own commands, the baseline through
uvicorn, the peer through node. All on loopback, all against the harness's private
redis-server."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx

from bench import peer_app

REPO = Path(__file__).resolve().parents[1]


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with status {process.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in {seconds:.0f} s")


@contextmanager
def running(
    name: str,
    command: list[str],
    env: Mapping[str, str],
    health_url: str,
    cwd: Path = REPO,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server whose logs go to a file (a pipe nobody reads would block it)."""
    log_dir = Path(env.get("BENCH_LOG_DIR", tempfile.gettempdir()))
    log_path = log_dir / f"{name}-{time.time_ns()}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            command, env={**os.environ, **env}, cwd=cwd, stdout=log, stderr=log
        )
        try:
            try:
                _wait_healthy(health_url, process)
            except RuntimeError:
                process.kill()
                process.wait()
                tail = log_path.read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{' '.join(command[:4])}: {tail}") from None
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def bridge(
    port: int, workers: int, env: Mapping[str, str], source: Path = REPO
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """`source`: a checkout of the bridge to serve (another commit's, for bench.ab)."""
    command = [
        sys.executable,
        "-m",
        "bridge",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    if source != REPO:  # `-m` puts the working directory first on sys.path
        env = {**env, "PYTHONPATH": str(source)}
    health = f"http://127.0.0.1:{port}/healthz"
    return running(f"bridge-w{workers}", command, env, health, cwd=source)


def mock(
    module: str, port: int, env: Mapping[str, str]
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", str(port)]
    return running(module.rsplit(".", 1)[-1], command, env, f"http://127.0.0.1:{port}/healthz")


def baseline(
    port: int, workers: int, env: Mapping[str, str]
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "bench.baseline:create_app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    return running(f"baseline-w{workers}", command, env, f"http://127.0.0.1:{port}/healthz")


def peer(
    port: int, workers: int, env: Mapping[str, str]
) -> AbstractContextManager[subprocess.Popen[bytes]]:
    """node-oidc-provider (bench/peer/server.js): `env` is peer_app.environment(...)."""
    return running(
        f"peer-w{workers}", peer_app.server_command(), env, f"http://127.0.0.1:{port}/healthz"
    )
