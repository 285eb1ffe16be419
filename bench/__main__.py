"""`python -m bench`: every figure of the Performance section in one run.

Starts a private redis-server, the bridge (`bridge serve`, 1 then 2 workers), the mocks
and the raw-ASGI baseline; drives each endpoint with wrk at 64 connections (throughput)
and 8 connections (latency); runs the whole login flow; measures Redis memory per live
session. Writes bench/results/<timestamp>.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis

from bench import portal, processes, seed
from bench.baseline import Es256, load_key
from bench.cpu import cpu_seconds
from bench.login_flow import run_logins
from bench.wrk_runner import LoadResult, require_wrk, run_wrk
from bridge.clock import SystemClock
from bridge.development_keys import ensure_development_keys
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis

REPO = Path(__file__).resolve().parents[1]
STORE_KEY = "dev-only-store-key-CHANGE-ME"  # the development default the bridge runs with


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def interpreter() -> dict[str, str]:
    return {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "build": "Debian (PGO/LTO)"
        if sys.executable.startswith("/usr/bin")
        or "x86_64-linux-gnu" in (sysconfig.get_config_var("LIBDIR") or "")
        else "source build",
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
    }


class Run:
    def __init__(self, args: argparse.Namespace, redis_url: str, workdir: Path) -> None:
        self.args = args
        self.redis_url = redis_url
        self.workdir = workdir
        self.results: list[LoadResult] = []
        self.extra: dict[str, Any] = {}
        keys = workdir / "keys"
        ensure_development_keys(keys, SystemClock())
        self.ports = {
            "bridge": free_port(),
            "iamsmart": free_port(),
            "guangdong": free_port(),
            "baseline": free_port(),
        }
        url = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.url = url
        self.env = {
            "BENCH_LOG_DIR": str(workdir),
            "BRIDGE_ENV": "development",
            "BRIDGE_ISSUER": url["bridge"],
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_KEYS_DIR": str(keys),
            "BRIDGE_CLIENTS_FILE": str(REPO / "bench/config/clients.yaml"),
            "BRIDGE_TOKEN_EXCHANGE_FILE": str(REPO / "bench/config/token_exchange.yaml"),
            "BRIDGE_LOG_LEVEL": "INFO",
            "IAMSMART_PUBLIC_URL": url["iamsmart"],
            "IAMSMART_API_URL": url["iamsmart"],
            "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys / KEK_PUBLIC_FILE),
            "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys / KEK_FILE),
            "GUANGDONG_PUBLIC_URL": url["guangdong"],
            "BENCH_REDIS_URL": redis_url,
            "BENCH_KEY_PEM": str(keys / KEK_FILE.replace("iamsmart-kek", "baseline")),
        }
        _write_baseline_key(Path(self.env["BENCH_KEY_PEM"]))

    def load(
        self,
        scenario: str,
        path: str,
        workers: int,
        *,
        bodies: Path | Callable[[], Path] | None = None,
        **options: Any,
    ) -> None:
        """Measure one scenario at 64 connections (throughput) then 8 (latency).
        Single-use bodies come from a factory called afresh for each measurement."""
        if self.args.only and scenario not in (*self.args.only, "baseline"):
            return
        for connections in (64, 8):
            body_file = bodies() if callable(bodies) else bodies
            base = self.url["baseline" if scenario == "baseline" else "bridge"]
            result = run_wrk(
                scenario,
                base + path,
                connections=connections,
                seconds=self.args.seconds,
                workers=workers,
                bodies=body_file,
                **options,
            )
            print(
                f"  {scenario:<28} c={connections:<3} {result.requests_per_second:>9.0f} req/s"
                f"  p50 {result.p50_ms:6.2f}  p99 {result.p99_ms:6.2f} ms"
                f"  errors {result.errors}",
                flush=True,
            )
            self.results.append(result)

    def codes(self, client_id: str = seed.CLIENT_ID) -> Path:
        count = int(self.args.seconds * 4000) + 2000
        path = self.workdir / f"codes-{client_id}.txt"
        return seed.code_bodies(self.redis_url, STORE_KEY, count, path, client_id)

    def refresh_tokens(self) -> Path:
        count = int(self.args.seconds * 3000) + 2000
        return seed.refresh_bodies(self.redis_url, STORE_KEY, count, self.workdir / "refresh.txt")

    def reusable(self, name: str, form: dict[str, str]) -> Path:
        path = self.workdir / f"{name}.txt"
        path.write_text(urlencode(form) + "\n")
        return path

    def bridge_scenarios(self, workers: int) -> None:
        with processes.bridge(self.ports["bridge"], workers, self.env):
            print(f"bridge, {workers} worker(s):", flush=True)
            portal.bind_at_guangdong(self.url["guangdong"])
            tokens = portal.sign_in(self.url["bridge"])
            exchange = {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": tokens["access_token"],
                "subject_token_type": "urn:ietf:params:oauth:token-type:access_token",
            }
            self.load("discovery", "/.well-known/openid-configuration", workers)
            self.load("jwks", "/jwks.json", workers)
            self.load(
                "code_redemption",
                "/token",
                workers,
                bodies=self.codes,
                authorization=seed.BASIC,
            )
            self.load(  # the same, for a client with RS256 ID tokens (the OIDC default)
                "code_redemption_rs256",
                "/token",
                workers,
                bodies=lambda: self.codes(seed.RS256_CLIENT_ID),
                authorization=seed.RS256_BASIC,
            )
            self.load(
                "refresh",
                "/token",
                workers,
                bodies=self.refresh_tokens,
                authorization=seed.BASIC,
            )
            self.load(
                "token_exchange",
                "/token",
                workers,
                authorization=seed.BASIC,
                cycle=True,
                bodies=self.reusable(
                    "exchange", {**exchange, "resource": "https://api.bench.test/"}
                ),
            )
            self.load(
                "token_exchange_guangdong",
                "/token",
                workers,
                authorization=seed.BASIC,
                cycle=True,
                bodies=self.reusable("exchange-gd", {**exchange, "audience": "guangdong-platform"}),
            )
            self.load(
                "introspection",
                "/introspect",
                workers,
                authorization=seed.BASIC,
                cycle=True,
                bodies=self.reusable(
                    "introspect",
                    {"token": tokens["access_token"], "token_type_hint": "access_token"},
                ),
            )

    def baseline_scenario(self, workers: int) -> None:
        signer = Es256(load_key_from(Path(self.env["BENCH_KEY_PEM"])))
        token = signer.sign({"sub": "bench-subject", "exp": int(time.time()) + 3600}).decode()
        body = urlencode(
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "subject_token": token,
                "subject_token_type": "urn:ietf:params:oauth:token-type:jwt",
            }
        )
        path = self.workdir / "baseline.txt"
        path.write_text(body + "\n")
        with processes.baseline(self.ports["baseline"], workers, self.env):
            print(
                f"baseline, {workers} worker(s) (raw ASGI: verify + sign ES256 + one Redis"
                " SET NX):",
                flush=True,
            )
            self.load("baseline", "/token", workers, bodies=path, cycle=True)

    def mocks(self) -> ExitStack:
        stack = ExitStack()
        self.mock_pids = {
            "mock_iamsmart": stack.enter_context(
                processes.mock("mock_idps.iamsmart", self.ports["iamsmart"], self.env)
            ).pid,
            "mock_guangdong": stack.enter_context(
                processes.mock("mock_idps.guangdong", self.ports["guangdong"], self.env)
            ).pid,
        }
        return stack

    def login_scenario(self) -> None:
        client = redis.Redis.from_url(self.redis_url)
        client.flushdb()
        before = int(client.info("memory")["used_memory"])
        with processes.bridge(self.ports["bridge"], 2, self.env) as bridge:
            print("whole login flow (bridge 2 workers, both mocks):", flush=True)
            pids = {**self.mock_pids, "bridge": bridge.pid, "redis": redis_pid(client)}
            cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            result = run_logins(
                self.url["guangdong"],
                concurrency=self.args.login_concurrency,
                seconds=self.args.seconds,
            )
            cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
            cpu["load_generator"] = result.client_cpu_seconds
            print(
                f"  {result.logins_per_second} logins/s, p50 {result.p50_ms} ms,"
                f" p99 {result.p99_ms} ms, failures {result.failures}",
                flush=True,
            )
            self.extra["login_flow"] = result.as_dict()
            if result.logins:
                self.extra["login_flow"]["cpu_ms_per_login"] = {
                    name: round(1000 * seconds / result.logins, 2) for name, seconds in cpu.items()
                }
                print(f"  CPU ms per login: {self.extra['login_flow']['cpu_ms_per_login']}")
        after = int(client.info("memory")["used_memory"])
        by_kind: dict[str, list[int]] = {}
        for key in client.scan_iter(count=1000):
            kind = key.decode().split(":")[1] if key.count(b":") >= 1 else key.decode()
            entry = by_kind.setdefault(kind, [0, 0])
            entry[0] += 1
            entry[1] += int(client.memory_usage(key) or 0)
        client.close()
        if result.logins:
            audit = by_kind.get("audit", [0, 0])[1]
            self.extra["redis_per_live_session"] = {
                "bytes": round((after - before - audit) / result.logins),
                "audit_bytes_per_login": round(audit / result.logins),
                "keys": round(
                    sum(n for k, (n, _) in by_kind.items() if k != "audit") / result.logins, 2
                ),
                "by_kind": {
                    k: {"keys": n, "bytes_per_login": round(b / result.logins)}
                    for k, (n, b) in sorted(by_kind.items())
                },
                "sessions": result.logins,
            }
            memory = self.extra["redis_per_live_session"]
            print(
                f"  Redis: {memory['bytes']} bytes and {memory['keys']} keys per live session"
                f" (+{memory['audit_bytes_per_login']} bytes of audit trail per login)"
            )


def redis_pid(client: redis.Redis) -> int:
    return int(client.info("server")["process_id"])


def _write_baseline_key(path: Path) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec

    from bridge.signing.keys import to_pem

    path.write_bytes(to_pem(ec.generate_private_key(ec.SECP256R1())))


def load_key_from(path: Path) -> Any:
    import os

    os.environ["BENCH_KEY_PEM"] = str(path)
    return load_key()


def ratios(results: list[LoadResult]) -> dict[str, float]:
    """Each bridge figure over the baseline's with the same workers and connections."""
    base = {
        (r.workers, r.connections): r.requests_per_second
        for r in results
        if r.scenario == "baseline"
    }
    return {
        f"{r.scenario}/w{r.workers}/c{r.connections}": round(
            r.requests_per_second / base[(r.workers, r.connections)], 2
        )
        for r in results
        if r.scenario != "baseline" and (r.workers, r.connections) in base
    }


def scaling(results: list[LoadResult]) -> dict[str, float]:
    """2 workers over 1, per scenario, at 64 connections."""
    by = {(r.scenario, r.workers): r.requests_per_second for r in results if r.connections == 64}
    return {
        scenario: round(by[(scenario, 2)] / by[(scenario, 1)], 2)
        for scenario, workers in by
        if workers == 1 and (scenario, 2) in by
    }


def table(results: list[LoadResult], extra: dict[str, Any]) -> str:
    rows = [
        "| scenario | workers | conns | req/s | p50 ms | p90 ms | p99 ms | errors | × baseline |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    r = ratios(results)
    for res in results:
        ratio = r.get(f"{res.scenario}/w{res.workers}/c{res.connections}", "")
        rows.append(
            f"| {res.scenario} | {res.workers} | {res.connections} | "
            f"{res.requests_per_second:.0f} | {res.p50_ms:.2f} | {res.p90_ms:.2f} | "
            f"{res.p99_ms:.2f} | {res.errors} | {ratio} |"
        )
    scale = scaling(results)
    if scale:
        rows.append(
            "\n1 → 2 workers (64 connections): "
            + ", ".join(f"{name} ×{factor}" for name, factor in scale.items())
        )
    if "login_flow" in extra:
        login = extra["login_flow"]
        rows.append(
            f"\nWhole login flow: {login['logins_per_second']} logins/s "
            f"(p50 {login['p50_ms']} ms, p99 {login['p99_ms']} ms, "
            f"{login['failures']} failures, {login['concurrency']} concurrent residents)"
        )
    if "redis_per_live_session" in extra:
        mem = extra["redis_per_live_session"]
        rows.append(f"Redis per live session: {mem['bytes']} bytes, {mem['keys']} keys")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=10, help="per measurement")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--login-concurrency", type=int, default=32)
    parser.add_argument("--skip-login", action="store_true")
    parser.add_argument(
        "--only", nargs="+", metavar="SCENARIO", help="measure only these (baseline always)"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    require_wrk()
    binary = find_redis_server(None)
    if binary is None:
        raise SystemExit(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="bridge-bench-") as tmp, private_redis(binary) as url:
        run = Run(args, url, Path(tmp))
        print(f"interpreter: {interpreter()}", flush=True)
        with run.mocks():
            for workers in args.workers:
                run.baseline_scenario(workers)
                run.bridge_scenarios(workers)
            if not args.skip_login:
                run.login_scenario()
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = {
        "when": stamp,
        "interpreter": interpreter(),
        "seconds": args.seconds,
        "results": [r.as_dict() for r in run.results],
        "ratios": ratios(run.results),
        "scaling_1_to_2_workers": scaling(run.results),
        **run.extra,
    }
    out = args.out / f"{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print("\n" + table(run.results, run.extra))
    print(f"\nwritten: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


if __name__ == "__main__":
    main()
