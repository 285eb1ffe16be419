"""The README's token exchange example runs as written against `bridge demo`: the curl
script signs a resident in, and the curl exchange returns a Guangdong platform token
that the platform's tokeninfo accepts."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from tests.test_demo_command import REPO, free_ports, wait_until_up


def readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Token exchange", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the Token exchange section has a sh example"
    return match.group(1)


def test_readme_token_exchange_example_runs_against_the_demo(tmp_path: Path) -> None:
    bridge_port, iamsmart_port, guangdong_port = free_ports(3)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BRIDGE_", "IAMSMART_"))}
    demo = subprocess.Popen(  # noqa: S603 - our own interpreter and module
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
            str(tmp_path / "keys"),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        bridge, guangdong = (f"http://127.0.0.1:{p}" for p in (bridge_port, guangdong_port))
        wait_until_up(f"{bridge}/healthz", demo)
        wait_until_up(f"{guangdong}/healthz", demo)
        script = (
            readme_example()
            .replace("http://127.0.0.1:8000", bridge)
            .replace("http://127.0.0.1:8002", guangdong)
        )
        run = subprocess.run(  # noqa: S603 - the README's own commands
            ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
            cwd=REPO,
            env={**env, "BRIDGE": bridge, "GUANGDONG": guangdong},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=20)
        except subprocess.TimeoutExpired:
            demo.kill()
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"issued_token_type":"urn:ietf:params:oauth:token-type:access_token"' in run.stdout
    assert '"errcode": 0' in run.stdout or '"errcode":0' in run.stdout
    assert "黄咏峰" in run.stdout
