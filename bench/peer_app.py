"""The certified peer the bridge is measured beside: node-oidc-provider in bench/peer/,
installed with `npm ci` from its lock file, started with node's cluster module, and
seeded through the provider's own models (bench/peer/seed.js).

    python -m bench.peer_app install     npm ci, when node_modules is missing or stale
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "peer"
LOCK = APP / "package-lock.json"
INSTALLED_LOCK = APP / "node_modules" / ".package-lock.json"  # npm writes it on install
MINIMUM_NODE = 20


class PeerUnavailable(Exception):
    """The peer cannot run here; the harness measures the bridge alone and says so."""


def node() -> str:
    path = shutil.which("node")
    if path is None:
        raise PeerUnavailable(f"Node.js {MINIMUM_NODE}+ is not installed")
    version = subprocess.run(  # noqa: S603 - node --version
        [path, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    major = re.match(r"v(\d+)\.", version)
    if not major or int(major.group(1)) < MINIMUM_NODE:
        raise PeerUnavailable(f"Node.js {MINIMUM_NODE}+ is needed, found {version or '?'}")
    return path


def install() -> str:
    """`npm ci` unless node_modules already matches the lock file. Returns what it did."""
    node()
    if (
        INSTALLED_LOCK.exists()
        and INSTALLED_LOCK.stat().st_mtime >= LOCK.stat().st_mtime
        and (APP / "node_modules" / "oidc-provider").is_dir()
    ):
        return "peer: npm packages up to date"
    npm = shutil.which("npm")
    if npm is None:
        raise PeerUnavailable("npm is not installed")
    status, output = _run([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], 600)
    if status != 0:
        raise PeerUnavailable(f"npm ci failed: {output}")
    return "peer: installed npm packages (npm ci)"


def _run(command: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run a command in bench/peer: its status and the end of what it said."""
    done = subprocess.run(  # noqa: S603 - node and npm on our own scripts
        command, cwd=APP, env=env, capture_output=True, text=True, check=False, timeout=timeout
    )
    return done.returncode, (done.stderr or done.stdout).strip()[-500:]


def server_command() -> list[str]:
    return [node(), str(APP / "server.js")]


def environment(port: int, workers: int, redis_url: str) -> dict[str, str]:
    return {
        "PEER_PORT": str(port),
        "PEER_WORKERS": str(workers),
        "PEER_ISSUER": f"http://127.0.0.1:{port}",
        "PEER_REDIS_URL": redis_url,
        "NODE_ENV": "production",
    }


def seed(kind: str, count: int, out: Path, redis_url: str) -> Path:
    """Write `count` request bodies of `kind` (codes, refresh, access) into `out`."""
    env = {**os.environ, "PEER_REDIS_URL": redis_url, "NODE_ENV": "production"}
    status, output = _run([node(), str(APP / "seed.js"), kind, str(count), str(out)], 300, env)
    if status != 0:
        raise RuntimeError(f"peer seed {kind}: {output}")
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        raise SystemExit("usage: python -m bench.peer_app install")
    try:
        print(install(), file=sys.stderr)
    except PeerUnavailable as error:
        raise SystemExit(f"peer: {error}") from None
