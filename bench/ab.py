"""`python -m bench.ab --before DIR`: one change measured alone. Serves the bridge from
this checkout ("after") and from another checkout of it ("before", e.g. `git archive
main | tar -x -C DIR`) side by side, one worker each, on the harness's private Redis
and mocks, and drives each scenario at both in interleaved rounds (the order swapped
every round, so the neighbours' drift does not favour one side). Per round it reads
each worker's CPU time from /proc: CPU per request moves much less with the machine's
load than req/s does, so both are reported as the median of the rounds' after/before,
with the least CPU per request of each side (the neighbours only ever add to it).

    python -m bench.ab --before /tmp/main-src --only jwks code_redemption --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path

from bench import portal, processes, scenarios
from bench.cpu import own_cpu_seconds
from bench.harness import STORE_KEY, Harness, free_port
from bench.rounds import Demand
from bench.scenarios import BRIDGE, Inputs, Request
from bench.wrk_runner import run_wrk
from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis

SIDES = ("before", "after")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.ab", description=__doc__)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout")
    parser.add_argument("--only", nargs="+", choices=scenarios.NAMES, default=["jwks"])
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=64)
    return parser.parse_args()


def _bodies(request: Request, demand: Demand, name: str, side: str, seconds: float) -> Path | None:
    if request.bodies is None:
        return None
    if request.cycle:
        return request.bodies(1)
    return request.bodies(demand.count(name, side, 1, 64, seconds))


def measure(
    name: str,
    request: Request,
    urls: dict[str, str],
    pids: dict[str, int],
    args: argparse.Namespace,
) -> None:
    demand = Demand(args.seconds)
    figures: dict[str, list[tuple[float, float]]] = {side: [] for side in SIDES}
    for round_number in range(args.rounds + 1):  # round 0 warms both up, unmeasured
        order = SIDES if round_number % 2 else SIDES[::-1]
        for side in order:
            seconds = 1 if round_number == 0 else args.seconds
            bodies = _bodies(request, demand, name, side, seconds)
            cpu = own_cpu_seconds(pids[side])
            result = run_wrk(
                name,
                urls[side] + request.path,
                party=side,
                connections=args.connections,
                seconds=seconds,
                workers=1,
                round_number=round_number,
                bodies=bodies,
                authorization=request.authorization,
                cycle=request.cycle,
            )
            used = own_cpu_seconds(pids[side]) - cpu
            if round_number == 0:
                continue
            demand.observe(result)
            per_request = 1e6 * used / max(result.requests, 1)
            errors = f"  errors {result.errors}" if result.errors or result.failure else ""
            print(
                f"  {name:<18} {side:<6} r{round_number} {result.requests_per_second:>8.0f} "
                f"req/s  {per_request:>6.0f} µs CPU/request{errors}",
                flush=True,
            )
            if result.failure is None and result.errors == 0:
                figures[side].append((result.requests_per_second, per_request))
    pairs = list(zip(figures["before"], figures["after"], strict=False))
    if not pairs:
        print(f"{name}: no clean pair of rounds", flush=True)
        return
    speed = statistics.median(a[0] / b[0] for b, a in pairs)
    cost = statistics.median(a[1] / b[1] for b, a in pairs)
    median_cpu = {side: statistics.median(f[1] for f in figures[side]) for side in SIDES}
    # The least disturbed round of each side: the neighbours only ever add CPU time.
    least = {side: min(f[1] for f in figures[side]) for side in SIDES}
    print(
        f"{name}: after/before req/s ×{speed:.2f}, CPU per request ×{cost:.2f} "
        f"({median_cpu['before']:.0f} → {median_cpu['after']:.0f} µs), least "
        f"×{least['after'] / least['before']:.2f} ({least['before']:.0f} → "
        f"{least['after']:.0f} µs), {len(pairs)} rounds",
        flush=True,
    )


def main() -> None:
    args = arguments()
    binary = find_redis_server(None)
    if binary is None:
        raise SystemExit(INSTALL_HINT)
    with tempfile.TemporaryDirectory(prefix="bridge-ab-") as tmp, private_redis(binary) as url:
        harness = Harness(argparse.Namespace(), url, Path(tmp))
        ports = {"after": harness.ports["bridge"], "before": free_port()}
        urls = {side: f"http://127.0.0.1:{port}" for side, port in ports.items()}
        with harness.mocks(), ExitStack() as stack:
            pids = {
                side: stack.enter_context(
                    processes.bridge(
                        ports[side],
                        1,
                        harness.env,
                        args.before.resolve() if side == "before" else processes.REPO,
                    )
                ).pid
                for side in SIDES
            }
            if set(args.only) & {"token_exchange", "token_exchange_guangdong"}:
                portal.bind_at_guangdong(harness.url["guangdong"])
            inputs = Inputs(
                workdir=Path(tmp),
                redis_url=url,
                store_key=STORE_KEY,
                baseline_body=harness.baseline_body,
                sign_in=lambda: portal.sign_in(urls["after"]),
            )
            for scenario in scenarios.build(inputs):
                if scenario.name in args.only:
                    measure(scenario.name, scenario.requests[BRIDGE], urls, pids, args)


if __name__ == "__main__":
    main()
