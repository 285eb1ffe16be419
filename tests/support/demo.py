"""`bridge demo` as a child process on free ports, for the tests of the demo itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support.client_tls import TRUSTED
from tests.support.ports import free_ports

REPO = Path(__file__).resolve().parents[2]


def wait_until_up(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, f"demo exited early with {process.returncode}"
        try:
            if httpx.get(url, timeout=1, verify=TRUSTED).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


@dataclass
class Demo:
    process: subprocess.Popen[bytes]
    bridge: str
    iamsmart: str
    guangdong: str
    hk_eservice: str
    kiosk: str
    env: dict[str, str]
    output: str = ""
    children: tuple[int, ...] = ()
    """The mocks' process ids, read while the demo ran."""


def child_pids(pid: int) -> tuple[int, ...]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return tuple(int(child) for child in children)


@contextmanager
def running_demo(keys_dir: Path, stop: signal.Signals = signal.SIGINT) -> Iterator[Demo]:
    """Start `python -m bridge demo` (environment cleaned of BRIDGE_/IAMSMART_ settings),
    wait for its servers, and stop it with `stop` (Ctrl+C); `output` holds what it
    printed."""
    ports = free_ports(5)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "IAMSMART_"))}
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [
            sys.executable,
            "-m",
            "bridge",
            "demo",
            "--port",
            str(ports[0]),
            "--iamsmart-port",
            str(ports[1]),
            "--guangdong-port",
            str(ports[2]),
            "--hk-eservice-port",
            str(ports[3]),
            "--kiosk-port",
            str(ports[4]),
            "--keys-dir",
            str(keys_dir),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    bridge, iamsmart, guangdong, hk_eservice, kiosk = (f"http://127.0.0.1:{p}" for p in ports)
    demo = Demo(process, bridge, iamsmart, guangdong, hk_eservice, kiosk, env)
    try:
        try:
            for url in (bridge, iamsmart, guangdong, hk_eservice, kiosk):
                wait_until_up(f"{url}/healthz", process)
        except AssertionError as failed:  # say why: the demo's own output
            process.kill()
            output = process.communicate()[0].decode()[-3000:]
            raise AssertionError(f"{failed}\n--- demo output ---\n{output}") from None
        demo.children = child_pids(process.pid)
        yield demo
    finally:
        process.send_signal(stop)
        try:
            demo.output = process.communicate(timeout=20)[0].decode()
        except subprocess.TimeoutExpired:
            process.kill()
            for pid in demo.children:  # orphaned mocks would hold the output pipe open
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            demo.output = process.communicate()[0].decode()
