"""One run of the harness: the private servers and their configuration, and for each
number of workers a phase with the baseline, the bridge and the peer up side by side,
every selected scenario checked once and then measured in interleaved rounds. Nothing
that fails here ends the run: a server that does not start, a sign-in that fails or a
scenario that errors is recorded and reported with the figures that could be had."""

from __future__ import annotations

import argparse
import socket
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import peer_app, portal, processes, scenarios, summary
from bench.baseline import Es256, load_key
from bench.rounds import Demand, Phase, measure, progress_line, verify
from bench.scenarios import BASELINE, BRIDGE, PEER, Inputs
from bench.wrk_runner import LoadResult
from bridge.clock import SystemClock
from bridge.development_keys import ensure_development_keys
from bridge.signing.keys import to_pem
from bridge.upstream.iamsmart.kek import KEK_FILE, KEK_PUBLIC_FILE
from bridge.wire import GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_JWT

REPO = Path(__file__).resolve().parents[1]
STORE_KEY = "dev-only-store-key-CHANGE-ME"  # the development default the bridge runs with


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Harness:
    def __init__(self, args: argparse.Namespace, redis_url: str, workdir: Path) -> None:
        self.args = args
        self.redis_url = redis_url
        self.workdir = workdir
        self.results: list[LoadResult] = []
        self.rows: list[summary.Row] = []
        self.extra: dict[str, Any] = {}
        self.peer_down = ""
        keys = workdir / "keys"
        ensure_development_keys(keys, SystemClock())
        names = ("bridge", "iamsmart", "guangdong", "baseline", "peer")
        self.ports = {name: free_port() for name in names}
        self.url = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.env = {
            "BENCH_LOG_DIR": str(workdir),
            "BRIDGE_ENV": "development",
            "BRIDGE_ISSUER": self.url["bridge"],
            "BRIDGE_REDIS_URL": redis_url,
            "BRIDGE_KEYS_DIR": str(keys),
            "BRIDGE_CLIENTS_FILE": str(REPO / "bench/config/clients.yaml"),
            "BRIDGE_TOKEN_EXCHANGE_FILE": str(REPO / "bench/config/token_exchange.yaml"),
            "BRIDGE_LOG_LEVEL": "INFO",
            # Every simulated resident signs in from 127.0.0.1: the per-address limit of
            # 300 sign-ins a minute capped the login scenario at 5/s (1,667 refused with
            # 429 in one run). Off here only; every other limit stays at its default.
            "BRIDGE_RATE_LIMIT_SIGN_INS": "0",
            "IAMSMART_PUBLIC_URL": self.url["iamsmart"],
            "IAMSMART_API_URL": self.url["iamsmart"],
            "IAMSMART_KEK_PUBLIC_KEY_FILE": str(keys / KEK_PUBLIC_FILE),
            "IAMSMART_KEK_PRIVATE_KEY_FILE": str(keys / KEK_FILE),
            "GUANGDONG_PUBLIC_URL": self.url["guangdong"],
            "BENCH_REDIS_URL": redis_url,
            "BENCH_KEY_PEM": str(workdir / "baseline-key.pem"),
        }
        self.baseline_body = self._baseline_body(Path(self.env["BENCH_KEY_PEM"]))
        self.mock_pids: dict[str, int] = {}

    def _baseline_body(self, key_file: Path) -> Path:
        from cryptography.hazmat.primitives.asymmetric import ec

        key = ec.generate_private_key(ec.SECP256R1())
        key_file.write_bytes(to_pem(key))
        token = Es256(load_key(key_file)).sign(
            {"sub": "bench-subject", "exp": int(time.time()) + 24 * 3600}
        )
        body = self.workdir / "baseline.txt"
        form = {
            "grant_type": GRANT_TOKEN_EXCHANGE,
            "subject_token": token.decode(),
            "subject_token_type": TOKEN_TYPE_JWT,
        }
        body.write_text(urlencode(form) + "\n")
        return body

    def mocks(self) -> ExitStack:
        stack = ExitStack()
        for name, module in (("mock_iamsmart", "iamsmart"), ("mock_guangdong", "guangdong")):
            port = self.ports[module]
            process = stack.enter_context(processes.mock(f"mock_idps.{module}", port, self.env))
            self.mock_pids[name] = process.pid
        return stack

    def _servers(self, workers: int) -> dict[str, Callable[[], AbstractContextManager[Any]]]:
        peer_env = {
            **self.env,
            **peer_app.environment(self.ports["peer"], workers, self.redis_url),
        }
        servers: dict[str, Callable[[], AbstractContextManager[Any]]] = {
            BASELINE: lambda: processes.baseline(self.ports["baseline"], workers, self.env),
            BRIDGE: lambda: processes.bridge(self.ports["bridge"], workers, self.env),
        }
        if not self.peer_down:
            servers[PEER] = lambda: processes.peer(self.ports["peer"], workers, peer_env)
        return servers

    def phase(self, workers: int) -> None:
        with ExitStack() as stack:
            urls: dict[str, str] = {}
            down: dict[str, str] = {PEER: self.peer_down} if self.peer_down else {}
            for party, start in self._servers(workers).items():
                try:
                    stack.enter_context(start())
                    urls[party] = self.url[party]
                except (RuntimeError, OSError, peer_app.PeerUnavailable) as error:
                    down[party] = str(error)[-300:]
                    print(f"{party} with {workers} worker(s) did not start: {error}", flush=True)
            print(f"phase: {workers} worker(s), up: {', '.join(urls)}", flush=True)
            if BRIDGE in urls:
                try:
                    portal.bind_at_guangdong(self.url["guangdong"])
                except Exception as error:  # the Guangdong exchange will say
                    print(f"  binding at Guangdong failed: {error}", flush=True)
            self._measure(Phase(workers, urls, down))

    def _measure(self, phase: Phase) -> None:
        inputs = Inputs(
            workdir=self.workdir,
            redis_url=self.redis_url,
            store_key=STORE_KEY,
            baseline_body=self.baseline_body,
            sign_in=lambda: portal.sign_in(self.url["bridge"]),
        )
        demand = Demand(self.args.seconds)
        for scenario in scenarios.build(inputs):
            if self.args.only and scenario.name not in self.args.only:
                continue
            problems = {p: found for p, found in verify(scenario, phase).items() if found}
            for party, found in problems.items():
                print(f"  check {scenario.name} at {party}: {'; '.join(found)}", flush=True)
            results = measure(
                scenario,
                phase,
                rounds=self.args.rounds,
                demand=demand,
                report=lambda result: print(progress_line(result), flush=True),
            )
            self.results += results
            self.rows.append(summary.row(scenario, phase.workers, results, problems))
