"""The README's token exchange example runs as written against `bridge demo`: the curl
script signs a resident in, and the curl exchange returns a Guangdong platform token
that the platform's tokeninfo accepts."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.support.demo import REPO, running_demo


def readme_example() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Token exchange", 1)[1]
    match = re.search(r"```sh\n(.*?)```", section, re.DOTALL)
    assert match, "the Token exchange section has a sh example"
    return match.group(1)


def test_readme_token_exchange_example_runs_against_the_demo(tmp_path: Path) -> None:
    with running_demo(tmp_path / "keys") as demo:
        script = (
            readme_example()
            .replace("http://127.0.0.1:8000", demo.bridge)
            .replace("http://127.0.0.1:8002", demo.guangdong)
        )
        run = subprocess.run(  # noqa: S603 - the README's own commands
            ["bash", "-euo", "pipefail", "-c", script],  # noqa: S607
            cwd=REPO,
            env={**demo.env, "BRIDGE": demo.bridge, "GUANGDONG": demo.guangdong},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    assert '"issued_token_type":"urn:ietf:params:oauth:token-type:access_token"' in run.stdout
    assert '"errcode": 0' in run.stdout or '"errcode":0' in run.stdout
    assert "黄咏峰" in run.stdout
