"""The whole login under load (bridge with 2 workers, both mocks), the CPU each process
spends per login (read from /proc), and what a login leaves in Redis once it has signed out."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import redis

from bench import processes
from bench.cpu import cpu_seconds
from bench.login_flow import LoginResult, run_logins


def _redis_pid(client: redis.Redis) -> int:
    return int(client.info("server")["process_id"])


def _settle(pids: Mapping[str, int], seconds: float = 20) -> None:
    """Wait until the servers are idle: `bridge serve --workers 2` answers its health
    check as soon as one worker is up, and the other's start-up (a second of CPU) must
    not be charged to the logins."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        before = sum(cpu_seconds(pid) for pid in pids.values())
        time.sleep(0.5)
        if sum(cpu_seconds(pid) for pid in pids.values()) - before < 0.02:
            return


def _cpu_per_login(
    result: LoginResult, before: Mapping[str, float], pids: Mapping[str, int]
) -> dict[str, float]:
    cpu = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
    cpu[f"load generator ({result.driver})"] = result.driver_cpu_seconds
    return {name: round(1000 * seconds / result.logins, 2) for name, seconds in cpu.items()}


def _memory(client: redis.Redis, before: int, logins: int) -> dict[str, Any]:
    after = int(client.info("memory")["used_memory"])
    by_kind: dict[str, list[int]] = {}
    for key in client.scan_iter(count=1000):
        kind = key.decode().split(":")[1] if key.count(b":") >= 1 else key.decode()
        entry = by_kind.setdefault(kind, [0, 0])
        entry[0] += 1
        entry[1] += int(client.memory_usage(key) or 0)
    audit = by_kind.get("audit", [0, 0])[1]
    return {
        "bytes": round((after - before - audit) / logins),
        "audit_bytes_per_login": round(audit / logins),
        "keys": round(sum(n for k, (n, _) in by_kind.items() if k != "audit") / logins, 2),
        "by_kind": {
            k: {"keys": n, "bytes_per_login": round(b / logins)}
            for k, (n, b) in sorted(by_kind.items())
        },
        "sessions": logins,
    }


def _empty(client: redis.Redis, seconds: float = 120) -> None:
    """Empty the harness's own private redis-server (only this run's keys). After the
    phases it holds every seeded input; a blocking FLUSHDB of them outlasted the
    client's 5 s socket timeout on the busy machine, so the keys are unlinked at once
    and freed in Redis's background thread, and the memory baseline is read only when
    that is done."""
    client.flushdb(asynchronous=True)
    deadline = time.monotonic() + seconds
    while int(client.info("memory").get("lazyfree_pending_objects", 0)) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)


def run(
    *,
    redis_url: str,
    bridge_port: int,
    guangdong_url: str,
    env: Mapping[str, str],
    mock_pids: Mapping[str, int],
    concurrency: int,
    seconds: float,
    driver: str,
) -> dict[str, Any]:
    """Everything the Performance section says about the whole login, as JSON."""
    client = redis.Redis.from_url(redis_url)
    _empty(client)
    before = int(client.info("memory")["used_memory"])
    extra: dict[str, Any] = {}
    with processes.bridge(bridge_port, 2, env) as bridge:
        print(f"whole login flow (bridge 2 workers, both mocks, {driver} driver):", flush=True)
        pids = {**mock_pids, "bridge": bridge.pid, "redis": _redis_pid(client)}
        _settle(pids)
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        result = run_logins(guangdong_url, concurrency=concurrency, seconds=seconds, driver=driver)
        extra["login_flow"] = result.as_dict()
        print(
            f"  {result.logins_per_second} logins/s, p50 {result.p50_ms} ms,"
            f" p99 {result.p99_ms} ms, failures {result.failures} {result.failure_samples}",
            flush=True,
        )
        if result.logins:
            cpu = _cpu_per_login(result, cpu_before, pids)
            extra["login_flow"]["cpu_ms_per_login"] = cpu
            print(f"  CPU ms per login: {cpu}", flush=True)
    if result.logins:
        extra["redis_left_per_login"] = _memory(client, before, result.logins)
    client.close()
    return extra
