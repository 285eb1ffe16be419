"""`bridge serve` as an operator runs it: one access-log line per request, from the
bridge, without the query string (codes and states travel there)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import httpx

from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from tests.support.dev_keys import development_keys_now
from tests.support.servers import bind_loopback, url_of

REPO = Path(__file__).resolve().parents[2]


def test_the_served_bridge_logs_each_request_once_and_never_its_query(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    development_keys_now(keys)
    sock = bind_loopback()
    url, port = url_of(sock), sock.getsockname()[1]
    sock.close()
    upstream = "http://127.0.0.1:9"  # never called: no sign-in starts
    env = {
        "PATH": "/usr/bin:/bin",
        "BRIDGE_ENV": "development",
        "BRIDGE_ISSUER": url,
        "BRIDGE_KEYS_DIR": str(keys),
        "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
        "BRIDGE_LOG_LEVEL": "INFO",
        "IAMSMART_PUBLIC_URL": upstream,
        "IAMSMART_API_URL": upstream,
        "GUANGDONG_PUBLIC_URL": upstream,
        "GUANGDONG_API_URL": upstream,
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys / KEK_FILE),
    }
    command = [sys.executable, "-m", "bridge", "serve", "--host", "127.0.0.1"]
    process = subprocess.Popen(  # noqa: S603 - our own entry point
        [*command, "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                httpx.get(f"{url}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "bridge serve did not start"
                time.sleep(0.2)
        secret = "code-8f2d1c0ffee"
        answer = httpx.get(f"{url}/error", params={"code": secret, "key": "error_generic"})
        assert answer.status_code == 400  # an error page, in any case
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert secret not in output.decode()
    lines = [json.loads(line) for line in output.decode().splitlines() if line.startswith("{")]
    access = [line for line in lines if "/error" in json.dumps(line)]
    assert len(access) == 1, access
    assert access[0]["event"] == "http.request"
    assert access[0]["path"] == "/error"
