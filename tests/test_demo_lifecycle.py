"""`bridge demo` starts and stops as an operator expects: a busy port is named before
anything starts, and SIGTERM (what `kill`, systemd and docker send) stops the mocks too
and frees their ports."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.support.demo import REPO, running_demo
from tests.support.ports import free_ports


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"  # exited, not reaped


def test_sigterm_stops_the_demo_and_every_mock_and_frees_their_ports(tmp_path: Path) -> None:
    with running_demo(tmp_path / "keys", stop=signal.SIGTERM) as demo:
        urls = (demo.bridge, demo.iamsmart, demo.guangdong, demo.hk_eservice, demo.kiosk)
        ports = [int(url.rsplit(":", 1)[1]) for url in urls]
        assert len(demo.children) == 4, "the demo runs its four mocks as children"
    assert demo.process.returncode == 0, demo.output
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not all(gone(pid) for pid in demo.children):
        time.sleep(0.1)
    assert all(gone(pid) for pid in demo.children), "a mock outlived the demo"
    assert all(port_is_free(port) for port in ports)


def test_a_busy_port_is_named_before_anything_starts(tmp_path: Path) -> None:
    bridge, iamsmart, guangdong, hk, kiosk = free_ports(5)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", iamsmart))
        squatter.listen()
        result = subprocess.run(  # noqa: S603 - our own interpreter and module
            [
                sys.executable,
                "-m",
                "bridge",
                "demo",
                "--port",
                str(bridge),
                "--iamsmart-port",
                str(iamsmart),
                "--guangdong-port",
                str(guangdong),
                "--hk-eservice-port",
                str(hk),
                "--kiosk-port",
                str(kiosk),
                "--keys-dir",
                str(tmp_path / "keys"),
            ],
            cwd=REPO,
            env={k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "IAMSMART_"))},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert f"port {iamsmart} on 127.0.0.1 (the mock iAM Smart) is in use" in result.stderr
    assert "--iamsmart-port" in result.stderr
    assert "Open " not in result.stdout, "no banner for a demo that is not running"
    assert "Traceback" not in result.stderr + result.stdout
    assert all(port_is_free(port) for port in (bridge, guangdong, hk)), "nothing was started"
