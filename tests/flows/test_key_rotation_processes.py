"""Key rotation across real OS processes on one Redis and one key directory: a second
bridge server process, and `bridge keys rotate` run through its entry point, while a
served bridge keeps answering. These run on the real clock (a process's clock cannot
be injected), so propagation is waited for with a deadline, never slept for."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from joserfc.jws import extract_compact

from bridge.clock import ManualClock
from bridge.signing.index import KeyIndex
from bridge.signing.locks import KeySetLock
from bridge.signing.manager import KeyManager
from bridge.signing.ring import load_keys
from tests.signing.support import (
    ENCRYPTION_KEY,
    REPO,
    Instances,
    bridge_instances,
    instance_settings,
    on_loop,
    ring,
    step,
)
from tests.support.servers import bind_loopback, url_of

TIMING: dict[str, Any] = {
    "jwks_max_age": 60,
    "keys_refresh_interval": 1,
    "keys_rotation_period": 3600,  # only the rotations the tests make
}


def a_ripe_next_key(keys_dir: Path, clock: ManualClock) -> None:
    """Publish the next keys an hour ago, so the real clock lets them sign now."""
    settings = instance_settings(keys_dir, "https://bridge.test", None, **TIMING)
    loaded = load_keys(settings)
    past = ManualClock(time.time() - 3600)
    lock = KeySetLock(None, loaded.files.lock_path)
    manager = KeyManager(loaded.files, loaded.policy, lock, past, development_allowed=True)
    asyncio.run(manager.generate("ES256"))
    asyncio.run(manager.generate("RS256"))


@pytest.fixture
def served(tmp_path: Path, redis_url: str) -> Iterator[Instances]:
    with bridge_instances(
        tmp_path, redis_url, count=1, start=time.time(), prepare_keys=a_ripe_next_key, **TIMING
    ) as instances:
        yield instances


def process_env(instances: Instances, redis_url: str) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        **instances.env,
        "BRIDGE_ENV": "development",
        "BRIDGE_REDIS_URL": redis_url,
        "BRIDGE_KEYS_DIR": str(instances.keys_dir),
        "BRIDGE_KEYS_ENCRYPTION_KEY": ENCRYPTION_KEY,
        "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
        "BRIDGE_LOG_LEVEL": "WARNING",
        **{f"BRIDGE_{name.upper()}": str(value) for name, value in TIMING.items()},
    }


def active_for(index: KeyIndex, alg: str) -> str:
    entry = index.active_for(alg)
    assert entry is not None
    return entry.kid


def kid_of(token: str) -> str:
    return str(extract_compact(token.encode()).protected["kid"])


def active_kid(url: str) -> str:
    return str(httpx.get(f"{url}/jwks.json").json()["keys"][0]["kid"])


def rotate_command(instances: Instances, redis_url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bridge", "keys", "rotate"],
        cwd=REPO,
        env=process_env(instances, redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_rotate_command_in_another_process_reaches_the_served_bridge_without_restart(
    served: Instances, redis_url: str
) -> None:
    app = served.apps[0]
    step(app)
    old = active_for(ring(app).index, "ES256")
    command = rotate_command(served, redis_url)
    during = served.sign_in(0, 0)  # the served bridge keeps working meanwhile
    out, err = command.communicate(timeout=60)
    assert command.returncode == 0, err
    assert f"{old} retired" in out
    assert active_kid(served.urls[0]) == old, "not yet: the instance re-reads every second"

    step(app)  # the instance's next background step
    after = served.sign_in(0, 0)
    new = kid_of(after["id_token"])
    assert new != old and kid_of(during["id_token"]) == old
    assert active_kid(served.urls[0]) == new
    keys = KeySet.import_key_set(served.jwks(0).json())
    for tokens in (during, after):
        jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
        userinfo = httpx.get(
            f"{served.urls[0]}/userinfo",
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert userinfo.status_code == 200, userinfo.text


def test_rotate_commands_started_together_in_two_processes_rotate_once(
    served: Instances, redis_url: str
) -> None:
    before = ring(served.apps[0]).index
    upcoming = before.next_for("ES256")
    assert upcoming is not None
    commands = [rotate_command(served, redis_url) for _ in range(2)]
    outputs = [c.communicate(timeout=60) for c in commands]
    results = [(c.returncode, *out) for c, out in zip(commands, outputs, strict=True)]
    rotated = [r for r in results if r[0] == 0 and r[1].startswith(f"{upcoming.kid} signs")]
    assert len(rotated) == 1, results
    (other,) = [r for r in results if r not in rotated]
    # the second one either found the rotation done or refused the fresh next key
    assert "already rotated" in other[1] or "not rotated" in other[2], other
    step(served.apps[0])
    after = ring(served.apps[0]).index
    assert after.version == before.version + 1
    assert sorted(e.kid for e in after.retired) == sorted(e.kid for e in before.actives)


@contextmanager
def second_bridge_process(instances: Instances, redis_url: str) -> Iterator[str]:
    """`uvicorn --factory bridge.asgi:app_from_environment`, as `bridge serve` runs it."""
    sock = bind_loopback()
    url = url_of(sock)
    command = [sys.executable, "-m", "uvicorn", "--factory", "bridge.asgi:app_from_environment"]
    command += ["--fd", str(sock.fileno()), "--log-level", "warning"]
    # its log goes to a file: a pipe nobody reads could fill up and block it
    with tempfile.TemporaryFile(mode="w+") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            cwd=REPO,
            env=process_env(instances, redis_url),
            pass_fds=(sock.fileno(),),
            stderr=log,
        )
        sock.close()
        try:
            deadline = time.monotonic() + 30
            while not healthy(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise AssertionError(f"second bridge did not start: {log.read()}")
                time.sleep(0.02)  # a process's start-up cannot be driven by a test clock
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_a_second_bridge_process_serves_and_signs_with_the_new_key_within_the_refresh_interval(
    served: Instances, redis_url: str
) -> None:
    with second_bridge_process(served, redis_url) as second:
        served.urls.append(second)  # instance 1: the other process
        app = served.apps[0]
        step(app)
        by_first, by_second = served.sign_in(0, 0), served.sign_in(0, 1)
        old = kid_of(by_first["id_token"])
        assert kid_of(by_second["id_token"]) == old

        served.clock.advance(time.time() - served.clock.now())  # this instance on real time
        outcome = on_loop(app, lambda key_ring: key_ring.manager.rotate())
        rotated_at = time.monotonic()
        on_loop(app, lambda key_ring: key_ring.refresh())
        new = active_for(outcome.index, "ES256")
        deadline = rotated_at + 10
        while active_kid(second) != new:
            assert time.monotonic() < deadline, "the second process never saw the rotation"
            time.sleep(0.01)  # waiting for another process's timer, bounded above
        delay = time.monotonic() - rotated_at
        assert delay <= TIMING["keys_refresh_interval"] + 2  # + scheduling slack on a busy box

        after_first, after_second = served.sign_in(0, 0), served.sign_in(0, 1)
        assert kid_of(after_first["id_token"]) == kid_of(after_second["id_token"]) == new
        served.clock.advance(time.time() - served.clock.now())
        for url in served.urls:
            keys = KeySet.import_key_set(httpx.get(f"{url}/jwks.json").json())
            for tokens in (by_first, by_second, after_first, after_second):
                jwt.decode(tokens["id_token"], keys, algorithms=["ES256"])
                userinfo = httpx.get(
                    f"{url}/userinfo",
                    headers={"Authorization": f"Bearer {tokens['access_token']}"},
                )
                assert userinfo.status_code == 200, (url, userinfo.text)
