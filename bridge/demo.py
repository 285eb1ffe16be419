"""`bridge demo`: the whole sign-in on one machine.

The bridge runs in this process; the mock iAM Smart and the mock Guangdong platform run
as child processes (`python -m mock_idps.…`): the bridge never imports them, exactly as
it never imports the real systems. They find each other through environment variables
that the configuration files read (`${VAR:-default}`).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn

from bridge.app import create_app
from bridge.clock import SystemClock
from bridge.development_keys import ensure_development_keys
from bridge.errors import BridgeError
from bridge.settings import settings_from_environment
from bridge.upstream.iamsmart.kek import KEK_PUBLIC_FILE


@dataclass(frozen=True)
class DemoPorts:
    host: str = "127.0.0.1"
    bridge: int = 8000
    iamsmart: int = 8001
    guangdong: int = 8002
    hk_eservice: int = 8003
    kiosk: int = 8004

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"

    def named(self) -> dict[str, tuple[int, str]]:
        """Server → its port and the option that sets it."""
        return {
            "the bridge": (self.bridge, "--port"),
            "the mock iAM Smart": (self.iamsmart, "--iamsmart-port"),
            "the mock Guangdong platform": (self.guangdong, "--guangdong-port"),
            "the mock Hong Kong e-service": (self.hk_eservice, "--hk-eservice-port"),
        }


class DemoError(BridgeError):
    """The demo cannot start: a busy port or a mock that did not come up."""


def check_ports_free(ports: DemoPorts) -> None:
    """Say which port is taken before anything starts (and before the banner), instead
    of a mock's exit status after the others are already up."""
    busy = []
    for server, (port, option) in ports.named().items():
        with socket.socket(socket.AF_INET6 if ":" in ports.host else socket.AF_INET) as probe:
            try:
                probe.bind((ports.host, port))
            except OSError:
                busy.append(
                    f"port {port} on {ports.host} ({server}) is in use: free it or {option}"
                )
    if busy:
        raise DemoError("; ".join(busy))


class _Stopped(Exception):
    """SIGTERM arrived: stop like Ctrl+C does, through the `finally` that stops the mocks."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped


def demo_environment(ports: DemoPorts, keys_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "BRIDGE_ENV": "development",
        "BRIDGE_ISSUER": ports.url(ports.bridge),
        "IAMSMART_PUBLIC_URL": ports.url(ports.iamsmart),
        "IAMSMART_API_URL": ports.url(ports.iamsmart),
        "GUANGDONG_PUBLIC_URL": ports.url(ports.guangdong),
        "GUANGDONG_API_URL": ports.url(ports.guangdong),
        "HK_ESERVICE_PUBLIC_URL": ports.url(ports.hk_eservice),
        "KIOSK_PUBLIC_URL": ports.url(ports.kiosk),
        # where the bridge POSTs logout tokens (a container would use service names)
        "GUANGDONG_BACKCHANNEL_LOGOUT_URI": f"{ports.url(ports.guangdong)}/oidc/backchannel-logout",
        "HK_ESERVICE_BACKCHANNEL_LOGOUT_URI": f"{ports.url(ports.hk_eservice)}/backchannel-logout",
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / "iamsmart-kek.pem"),
    }


def _start_mock(
    module: str, ports: DemoPorts, port: int, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", module, "--host", ports.host, "--port", str(port)]
    return subprocess.Popen(command, env=env)  # noqa: S603 - our own interpreter and module


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    # Generous: four mocks import FastAPI at once, and a loaded machine takes its time.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{url} exited with status {process.returncode} (its output is above)")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise DemoError(f"{url} did not become healthy in {seconds:.0f} s")


def _banner(ports: DemoPorts, redis_url: str | None) -> str:
    store = f"Redis at {redis_url}" if redis_url else "the in-memory store"
    return (
        "\n  GBA identity bridge demo\n"
        f"  bridge (OpenID Provider)   {ports.url(ports.bridge)}\n"
        f"  mock iAM Smart             {ports.url(ports.iamsmart)}\n"
        f"  mock Guangdong platform    {ports.url(ports.guangdong)}\n"
        f"  mock Hong Kong e-service   {ports.url(ports.hk_eservice)}\n"
        f"  mock kiosk                 {ports.url(ports.kiosk)}\n"
        f"  store                      {store}\n\n"
        "  Hong Kong resident → Guangdong service:\n"
        f"    Open {ports.url(ports.guangdong)}/ and choose 「智方便 iAM Smart」.\n"
        "  Mainland resident → Hong Kong service:\n"
        f"    Open {ports.url(ports.hk_eservice)}/ and choose 「廣東省統一身份認證」.\n"
        "  At a kiosk (RFC 8628), with a second browser window as the phone:\n"
        f"    Open {ports.url(ports.kiosk)}/ , press Start, open the QR code's link\n"
        f"    (or {ports.url(ports.bridge)}/device and type the code) in the other window.\n"
        "  Press Ctrl+C to stop.\n"
    )


def run_demo(ports: DemoPorts, *, redis_url: str | None, keys_dir: Path = Path("keys")) -> None:
    check_ports_free(ports)
    created = ensure_development_keys(keys_dir, SystemClock())
    for item in created:
        print(f"created development {item} under {keys_dir}/ (for this demo only)")
    env = demo_environment(ports, keys_dir)
    if redis_url:
        env["BRIDGE_REDIS_URL"] = redis_url
    settings = settings_from_environment(
        env="development",
        issuer=ports.url(ports.bridge),
        redis_url=redis_url,
        keys_dir=keys_dir,
        log_format="console",
    )
    app = create_app(settings, env=env)  # validates all configuration before anything starts
    mocks = {
        "mock_idps.iamsmart": ports.iamsmart,
        "mock_idps.guangdong": ports.guangdong,
        "mock_idps.hk_eservice": ports.hk_eservice,
        "mock_idps.kiosk": ports.kiosk,
    }
    # uvicorn re-raises the signal it stopped on once it is done; SIGTERM's default
    # action would then end the process before the mocks are stopped.
    previous = signal.signal(signal.SIGTERM, _stop)
    children = [_start_mock(module, ports, port, env) for module, port in mocks.items()]
    try:
        for port, child in zip(mocks.values(), children, strict=True):
            _wait_healthy(ports.url(port), child)
        print(_banner(ports, redis_url), flush=True)
        uvicorn.run(app, host=ports.host, port=ports.bridge, log_level="warning")
    except (_Stopped, KeyboardInterrupt):
        pass  # asked to stop: a clean exit once the mocks are down
    finally:
        signal.signal(signal.SIGTERM, previous)
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
