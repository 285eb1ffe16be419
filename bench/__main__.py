"""`python -m bench`: every figure of the Performance section in one run.

Starts a private redis-server, the mocks, and for 1 then 2 workers the raw-ASGI
baseline, the bridge (`bridge serve`) and the peer (node-oidc-provider, bench/peer/)
side by side; checks one request of each scenario at each party, then measures each
scenario in interleaved rounds (bridge, peer, baseline; again; again) with wrk at 64
connections (throughput) and 8 (latency); runs the whole login flow; measures Redis
memory left per login. Writes bench/results/<timestamp>.json and prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from bench import login_scenario, peer_app, scenarios, summary, table
from bench.harness import REPO, Harness
from bench.interpreter import describe
from bench.login_flow import DRIVERS
from bench.wrk_runner import wrk_path
from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--seconds", type=float, default=5, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--only", nargs="+", metavar="SCENARIO", choices=scenarios.NAMES, help="these only"
    )
    parser.add_argument("--skip-peer", action="store_true", help="the bridge (and baseline)")
    parser.add_argument("--skip-login", action="store_true")
    parser.add_argument("--login-driver", choices=DRIVERS, default="node")
    parser.add_argument("--login-concurrency", type=int, default=32)
    parser.add_argument("--login-seconds", type=float, help="default: --seconds × 2")
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    return parser.parse_args()


def _peer_status(args: argparse.Namespace) -> str:
    """Why the peer will not run ('' when it will)."""
    if args.skip_peer:
        return "--skip-peer"
    try:
        print(peer_app.install(), flush=True)
    except peer_app.PeerUnavailable as error:
        print(f"peer unavailable, measuring the bridge alone: {error}", flush=True)
        return str(error)
    return ""


def main() -> None:
    args = arguments()
    if wrk_path() is None:
        raise SystemExit("bench: wrk is not installed (scripts/setup --bench installs it)")
    binary = find_redis_server(None)
    if binary is None:
        raise SystemExit(INSTALL_HINT)
    interpreter = describe()
    print(f"interpreter: {interpreter}", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bridge-bench-") as tmp, private_redis(binary) as url:
        harness = Harness(args, url, Path(tmp))
        harness.peer_down = _peer_status(args)
        with harness.mocks():
            for workers in args.workers:
                harness.phase(workers)
            if not args.skip_login:
                try:
                    harness.extra.update(
                        login_scenario.run(
                            redis_url=url,
                            bridge_port=harness.ports["bridge"],
                            guangdong_url=harness.url["guangdong"],
                            env=harness.env,
                            mock_pids=harness.mock_pids,
                            concurrency=args.login_concurrency,
                            seconds=args.login_seconds or args.seconds * 2,
                            driver=args.login_driver,
                        )
                    )
                except Exception as error:  # reported with the rest
                    harness.extra["login_flow_error"] = str(error)[-500:]
                    print(f"whole login flow failed: {error}", flush=True)
    names = [name for name in scenarios.NAMES if not args.only or name in args.only]
    scaling = summary.scaling(names, harness.results)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    report = {
        "when": stamp,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "interpreter": interpreter,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "peer": harness.peer_down or "node-oidc-provider (bench/peer)",
        "rows": [row.as_dict() for row in harness.rows],
        "scaling_1_to_2_workers": [s.as_dict() for s in scaling],
        "results": [r.as_dict() for r in harness.results],
        **harness.extra,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    print("\n" + table.render(harness.rows, scaling, harness.extra))
    print(f"\nwritten: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
