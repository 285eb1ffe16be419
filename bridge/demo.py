"""`bridge demo`: the whole sign-in on one machine.

The bridge runs in this process; the mock iAM Smart and the mock Guangdong platform run
as child processes (`python -m mock_idps.…`): the bridge never imports them, exactly as
it never imports the real systems. They find each other through environment variables
that the configuration files read (`${VAR:-default}`).
"""

from __future__ import annotations

import os
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
from bridge.settings import Settings
from bridge.upstream.iamsmart.kek import KEK_PUBLIC_FILE


@dataclass(frozen=True)
class DemoPorts:
    host: str = "127.0.0.1"
    bridge: int = 8000
    iamsmart: int = 8001
    guangdong: int = 8002
    hk_eservice: int = 8003

    def url(self, port: int) -> str:
        return f"http://{self.host}:{port}"


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


def _wait_healthy(url: str, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with status {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not become healthy in {seconds:.0f} s")


def _banner(ports: DemoPorts, redis_url: str | None) -> str:
    store = f"Redis at {redis_url}" if redis_url else "the in-memory store"
    return (
        "\n  GBA identity bridge demo\n"
        f"  bridge (OpenID Provider)   {ports.url(ports.bridge)}\n"
        f"  mock iAM Smart             {ports.url(ports.iamsmart)}\n"
        f"  mock Guangdong platform    {ports.url(ports.guangdong)}\n"
        f"  mock Hong Kong e-service   {ports.url(ports.hk_eservice)}\n"
        f"  store                      {store}\n\n"
        "  Hong Kong resident → Guangdong service:\n"
        f"    Open {ports.url(ports.guangdong)}/ and choose 「智方便 iAM Smart」.\n"
        "  Mainland resident → Hong Kong service:\n"
        f"    Open {ports.url(ports.hk_eservice)}/ and choose 「廣東省統一身份認證」.\n"
        "  Press Ctrl+C to stop.\n"
    )


def run_demo(ports: DemoPorts, *, redis_url: str | None, keys_dir: Path = Path("keys")) -> None:
    created = ensure_development_keys(keys_dir, SystemClock())
    for item in created:
        print(f"created development {item} under {keys_dir}/ (for this demo only)")
    env = demo_environment(ports, keys_dir)
    if redis_url:
        env["BRIDGE_REDIS_URL"] = redis_url
    settings = Settings(
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
    }
    children = [_start_mock(module, ports, port, env) for module, port in mocks.items()]
    try:
        for port, child in zip(mocks.values(), children, strict=True):
            _wait_healthy(ports.url(port), child)
        print(_banner(ports, redis_url), flush=True)
        uvicorn.run(app, host=ports.host, port=ports.bridge, log_level="warning")
    finally:
        for child in children:
            child.terminate()
        for child in children:
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()
