"""Measure how long a key rotation takes to reach every bridge instance.

    .venv/bin/python scripts/measure_key_propagation.py [--instances 2] [--trials 5]
        [--refresh-interval 10]

Starts a private redis-server, N `bridge` server processes (uvicorn, as `bridge serve`
runs them) on one key directory, then repeatedly runs `bridge keys rotate --force` as
another process and times, on the real clock, until every instance serves the new
active key first in its JWKS (the key its token issuer signs with: both read the same
`KeySet`). Prints the pre-publication window and the retirement period in force too.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bridge.clock import SystemClock  # noqa: E402
from bridge.development_keys import ensure_development_keys  # noqa: E402
from bridge.settings import Settings  # noqa: E402
from bridge.signing.policy import RotationPolicy  # noqa: E402
from tests.support.redis_server import find_redis_server, private_redis  # noqa: E402
from tests.support.servers import bind_loopback, url_of  # noqa: E402


def active_kid(url: str) -> str:
    return str(httpx.get(f"{url}/jwks.json", timeout=5).json()["keys"][0]["kid"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--instances", type=int, default=2)
    parser.add_argument("--trials", type=int, default=5)
    parser.add_argument("--refresh-interval", type=int, default=10)
    args = parser.parse_args()
    binary = find_redis_server(os.environ.get("REDIS_SERVER"))
    if binary is None:
        sys.exit("redis-server is needed (scripts/setup --test installs it)")
    with tempfile.TemporaryDirectory() as tmp, private_redis(binary) as redis_url:
        keys_dir = Path(tmp) / "keys"
        ensure_development_keys(keys_dir, SystemClock())
        sockets = [bind_loopback() for _ in range(args.instances)]
        urls = [url_of(s) for s in sockets]
        env = {
            **os.environ,
            "BRIDGE_ENV": "development",
            "BRIDGE_ISSUER": urls[0],
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_KEYS_DIR": str(keys_dir),
            "BRIDGE_KEYS_ENCRYPTION_KEY": "measure-key-propagation-0123456789abcdef",
            "BRIDGE_KEYS_REFRESH_INTERVAL": str(args.refresh_interval),
            "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
            "BRIDGE_LOG_LEVEL": "WARNING",
            "GUANGDONG_PUBLIC_URL": "https://gd.test",
            "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / "iamsmart-kek.pem"),
        }
        settings = Settings(keys_refresh_interval=args.refresh_interval)
        policy = RotationPolicy.from_settings(settings)
        servers = [
            subprocess.Popen(  # noqa: S603 - our own interpreter and module
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    "bridge.asgi:app_from_environment",
                    "--fd",
                    str(s.fileno()),
                    "--log-level",
                    "warning",
                ],
                cwd=REPO,
                env=env,
                pass_fds=(s.fileno(),),
            )
            for s in sockets
        ]
        try:
            for url in urls:
                deadline = time.monotonic() + 30
                while True:
                    try:
                        if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    if time.monotonic() > deadline:
                        sys.exit(f"{url} did not start")
                    time.sleep(0.05)
            delays = []
            for trial in range(args.trials):
                # start at a random point of the instances' refresh cycles
                time.sleep(random.uniform(0, args.refresh_interval))  # noqa: S311
                rotate = subprocess.run(
                    [sys.executable, "-m", "bridge", "keys", "rotate", "--force", "--json"],
                    cwd=REPO,
                    env=env,
                    capture_output=True,
                    text=True,
                    check=True,
                )
                done = time.monotonic()
                new = next(
                    k["kid"] for k in json.loads(rotate.stdout)["keys"] if k["state"] == "active"
                )
                pending = set(urls)
                while pending:
                    pending = {u for u in pending if active_kid(u) != new}
                    time.sleep(0.005)
                delays.append(time.monotonic() - done)
                print(
                    f"trial {trial + 1}: every instance signs with {new[:12]}… after "
                    f"{delays[-1]:.2f} s"
                )
        finally:
            for server in servers:
                server.terminate()
            for server in servers:
                server.wait(timeout=30)
    print(
        f"\n{args.instances} instances, refresh interval {args.refresh_interval} s: "
        f"propagation min {min(delays):.2f} s, median {statistics.median(delays):.2f} s, "
        f"max {max(delays):.2f} s (bound: the refresh interval)\n"
        f"pre-publication window {policy.prepublication:g} s "
        f"(JWKS max-age {policy.jwks_max_age} s + refresh interval); retirement period "
        f"{policy.retirement:g} s (longest signed token {policy.longest_token_lifetime:g} s "
        f"+ refresh interval)"
    )


if __name__ == "__main__":
    main()
