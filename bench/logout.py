"""`python -m bench.logout`: back-channel logout on one worker, on Redis.

Starts a private redis-server and two logout receivers (each its own process, a bare
ASGI app answering 200), builds the bridge's core on them (`bridge.core.build_core`,
the development keys, tests/flows/clients.yaml with its two scripted clients pointed at
the receivers), and measures:

- **deliveries per second**: N deliveries queued at once, drained by one worker task
  (`BackChannelLogout.run`: claim from the due queue, mint a logout token, POST, forget);
- **logout latency with two receivers**: a session both clients joined is ended
  (`Sessions.end`), one at a time; what the resident waits for (grants revoked, two
  deliveries queued) and the time until both receivers have answered 200.

Figures are for this machine and one event loop; the receivers answer at once, so this
is the bridge's own cost, not a client's.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bridge.clock import SystemClock
from bridge.core import Core, build_core
from bridge.development_keys import ensure_development_keys
from bridge.settings import Settings
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from tests.support.redis_server import find_redis_server, private_redis
from tests.support.servers import bind_loopback, url_of

REPO = Path(__file__).resolve().parents[1]
CLIENTS = ("test-portal", "test-other")


async def _receiver(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _serve(port: int) -> None:
    import uvicorn

    uvicorn.run(_receiver, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _start_receivers() -> tuple[list[multiprocessing.Process], list[str]]:
    processes, urls = [], []
    for _ in CLIENTS:
        sock = bind_loopback()
        port = sock.getsockname()[1]
        sock.close()
        process = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
        process.start()
        processes.append(process)
        urls.append(f"http://127.0.0.1:{port}/backchannel")
    time.sleep(1.5)
    return processes, urls


def _core(redis_url: str, keys_dir: Path, receivers: list[str]) -> Core:
    ensure_development_keys(keys_dir, SystemClock())
    bridge = url_of(bind_loopback())
    env = {
        "BRIDGE_ISSUER": bridge,
        "IAMSMART_PUBLIC_URL": "http://127.0.0.1:9",
        "IAMSMART_API_URL": "http://127.0.0.1:9",
        "GUANGDONG_PUBLIC_URL": "http://127.0.0.1:9",
        "GUANGDONG_API_URL": "http://127.0.0.1:9",
        "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys_dir / KEK_PUBLIC_FILE),
        "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys_dir / KEK_FILE),
        "TEST_PORTAL_BACKCHANNEL_URI": receivers[0],
        "TEST_OTHER_BACKCHANNEL_URI": receivers[1],
    }
    settings = Settings(
        env="development",
        issuer=bridge,
        redis_url=redis_url,
        keys_dir=keys_dir,
        clients_file=REPO / "tests/flows/clients.yaml",
        upstreams_file=REPO / "config/upstreams.yaml",
        claims_dir=REPO / "config/claims",
        token_exchange_file=REPO / "config/token_exchange.yaml",
        backchannel_poll_interval=0.01,
    )
    return build_core(settings, env=env)


def _delivered(core: Core) -> float:
    registry = core.metrics.registry
    labels = ({"client_id": c, "outcome": "delivered"} for c in CLIENTS)
    found = (registry.get_sample_value("bridge_backchannel_logout_total", x) for x in labels)
    return float(sum(value or 0.0 for value in found))


async def _wait_delivered(core: Core, target: float, timeout: float = 60) -> None:
    deadline = time.perf_counter() + timeout
    while _delivered(core) < target:
        if time.perf_counter() > deadline:
            raise SystemExit(f"bench: only {_delivered(core)} of {target} delivered")
        await asyncio.sleep(0.0005)


async def _session(core: Core, n: int) -> str:
    store = core.logout.sessions.store
    session = await store.open(f"{n:064x}", f"resident-{n}", "iamsmart", 3600)
    for client in CLIENTS:
        await store.joined(
            session.sid, client_id=client, subject=f"sub-{n}", grant_id=f"g{n}{client}", ttl=3600
        )
    return session.sid


async def measure(core: Core, deliveries: int, logouts: int) -> dict[str, float]:
    backchannel, sessions = core.logout.backchannel, core.logout.sessions
    worker = asyncio.create_task(backchannel.run(0.01))
    try:
        await _session(core, -1)  # warm up connections, the key, the scripts
        await sessions.end(await _session(core, -1), "bench")
        await _wait_delivered(core, 2)
        sids = [await _session(core, n) for n in range(logouts)]
        waits, alls = [], []
        for sid in sids:
            before = _delivered(core)
            started = time.perf_counter()
            await sessions.end(sid, "bench")
            ended = time.perf_counter()
            await _wait_delivered(core, before + 2)
            waits.append(ended - started)
            alls.append(time.perf_counter() - started)
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        for n in range(deliveries):
            await backchannel.notify(CLIENTS[n % 2], subject=f"s{n}", sid=f"sid{n}", reason="bench")
        before = _delivered(core)
        started = time.perf_counter()
        worker = asyncio.create_task(backchannel.run(0.01))
        await _wait_delivered(core, before + deliveries, timeout=600)
        drained = time.perf_counter() - started
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
        await core.aclose()

    def ms(values: list[float], q: float) -> float:
        return round(statistics.quantiles(values, n=100)[int(q) - 1] * 1000, 2)

    return {
        "deliveries": deliveries,
        "deliveries_per_second": round(deliveries / drained, 1),
        "logouts": logouts,
        "resident_wait_ms_p50": ms(waits, 50),
        "resident_wait_ms_p95": ms(waits, 95),
        "both_receivers_ms_p50": ms(alls, 50),
        "both_receivers_ms_p95": ms(alls, 95),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.logout", description=__doc__)
    parser.add_argument("--deliveries", type=int, default=2000)
    parser.add_argument("--logouts", type=int, default=200)
    args = parser.parse_args()
    binary = find_redis_server(None)
    if binary is None:
        raise SystemExit("bench: redis-server is not installed")
    processes, urls = _start_receivers()
    try:
        with private_redis(binary) as redis_url, tempfile.TemporaryDirectory() as keys:
            core = _core(redis_url, Path(keys), urls)
            figures = asyncio.run(measure(core, args.deliveries, args.logouts))
    finally:
        for process in processes:
            process.terminate()
    for name, value in figures.items():
        print(f"{name:>24}: {value}")


if __name__ == "__main__":
    main()
