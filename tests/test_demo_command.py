"""`bridge demo` is the newcomer's first contact: it must start all three servers with
one command and let a person sign in end to end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Resident
from tests.support.servers import bind_loopback

REPO = Path(__file__).resolve().parents[1]


def free_ports(count: int) -> list[int]:
    sockets = [bind_loopback() for _ in range(count)]
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"demo exited early with {process.returncode}"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


def test_demo_command_runs_the_whole_sign_in(tmp_path: Path) -> None:
    bridge_port, iamsmart_port, guangdong_port = free_ports(3)
    keys = tmp_path / "keys"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "IAMSMART_"))}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bridge",
            "demo",
            "--port",
            str(bridge_port),
            "--iamsmart-port",
            str(iamsmart_port),
            "--guangdong-port",
            str(guangdong_port),
            "--keys-dir",
            str(keys),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    resident = Resident()
    try:
        guangdong = f"http://127.0.0.1:{guangdong_port}"
        wait_until_up(f"http://127.0.0.1:{bridge_port}/healthz", process)
        assert (keys / "signing" / "keyset.json").exists()
        assert (keys / "iamsmart-kek.pem").read_text().startswith("# DEVELOPMENT KEY")

        qr = at_iamsmart(resident, f"{guangdong}/login/iamsmart")
        page = consent(resident, choose(resident, qr, "wong-wing-fung"), "allow")
        profile = resident.submit(page, fields={"permit_number": "H12345678"})
        assert profile.html.select_one("#profile-name").get_text(strip=True) == "黄咏峰"
    finally:
        resident.close()
        process.send_signal(signal.SIGINT)
        try:
            output = process.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            output = process.communicate()[0].decode()
    assert f"Open http://127.0.0.1:{guangdong_port}/" in output
    for port in (iamsmart_port, guangdong_port):
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
        except httpx.ConnectError:
            continue
        raise AssertionError(f"a mock is still running on port {port} after the demo stopped")
