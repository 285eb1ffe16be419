"""`python -m bench.profile`: where a bridge worker's CPU goes per request, by component.

Starts the harness's servers (private redis-server, both mocks, `bridge serve` with one
worker, which then serves in its own process), drives one scenario with wrk at 64
connections and, over the same seconds, samples the worker with py-spy (`--nonblocking`:
the worker is never paused). The worker's CPU time over the run, read from /proc and
divided by the requests served, is the cost of one request; py-spy's samples, sorted
into components by bench/components.py, say how it divides.

    python -m bench.profile [--only token_exchange code_redemption] [--seconds 10]

Writes bench/results/profile-<time>.md, and py-spy's collapsed stacks beside it
(profile-<time>-<scenario>.raw.txt, for flamegraph.pl or speedscope).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import components, portal, processes, scenarios
from bench.cpu import own_cpu_seconds
from bench.harness import REPO, STORE_KEY, Harness
from bench.scenarios import BRIDGE, Inputs
from bench.wrk_runner import run_wrk
from tests.support.redis_server import INSTALL_HINT, find_redis_server, private_redis

PROFILED = ("token_exchange", "code_redemption")


def _py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("bench.profile: py-spy is missing (scripts/setup --bench installs it)")
    return found


def profile_one(
    name: str, inputs: Inputs, bridge_url: str, pid: int, seconds: float, raw: Path
) -> str:
    """Profile one scenario; py-spy's collapsed stacks go to `raw`."""
    request = next(s for s in scenarios.build(inputs) if s.name == name).requests[BRIDGE]
    bodies = request.bodies(int(seconds * 4000) + 2000) if request.bodies else None
    command = [_py_spy(), "record", "--pid", str(pid), "--duration", str(round(seconds))]
    command += ["--rate", "250", "--nonblocking", "--format", "raw", "--output", str(raw)]
    spy = subprocess.Popen(  # noqa: S603 - py-spy on our own child process
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.3)  # py-spy attaches before the load starts
    cpu_before = own_cpu_seconds(pid)
    result = run_wrk(
        name,
        bridge_url + request.path,
        party=BRIDGE,
        connections=64,
        seconds=seconds,
        workers=1,
        bodies=bodies,
        authorization=request.authorization,
        cycle=request.cycle,
    )
    cpu = own_cpu_seconds(pid) - cpu_before
    _, spy_errors = spy.communicate(timeout=seconds + 30)
    if result.failure or not result.requests or not raw.exists():
        return f"{name}: no profile ({result.failure or spy_errors.strip()[-300:]})"
    return breakdown(name, raw.read_text(), cpu * 1e6 / result.requests, result.errors)


def breakdown(name: str, raw: str, micros_per_request: float, errors: int) -> str:
    totals = components.aggregate(raw)
    samples = sum(totals.values()) or 1
    lines = [
        f"### {name}: {micros_per_request:,.0f} µs of worker CPU per request"
        + (f" ({errors} error responses in the run)" if errors else ""),
        "",
        "| component | share | µs per request |",
        "|---|---|---|",
    ]
    for component, count in sorted(totals.items(), key=lambda item: -item[1]):
        share = count / samples
        lines.append(f"| {component} | {share:.0%} | {share * micros_per_request:,.0f} |")
    unclaimed = components.unclaimed(raw)
    if unclaimed:
        lines.append("")
        lines.append("other, by innermost file: " + ", ".join(f"{f} {n}" for f, n in unclaimed))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--only", nargs="+", choices=scenarios.NAMES, default=list(PROFILED))
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "results")
    args = parser.parse_args()
    args.rounds = 1
    binary = find_redis_server(None)
    if binary is None:
        raise SystemExit(INSTALL_HINT)
    reports = []
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    with tempfile.TemporaryDirectory(prefix="bridge-profile-") as tmp, private_redis(binary) as url:
        harness = Harness(args, url, Path(tmp))
        with harness.mocks(), processes.bridge(harness.ports["bridge"], 1, harness.env) as bridge:
            portal.bind_at_guangdong(harness.url["guangdong"])
            inputs = Inputs(
                workdir=Path(tmp),
                redis_url=url,
                store_key=STORE_KEY,
                baseline_body=harness.baseline_body,
                sign_in=lambda: portal.sign_in(harness.url["bridge"]),
            )
            for name in args.only:
                raw = args.out / f"profile-{stamp}-{name}.raw.txt"
                url = harness.url["bridge"]
                reports.append(profile_one(name, inputs, url, bridge.pid, args.seconds, raw))
                print(reports[-1] + "\n", flush=True)
    out = args.out / f"profile-{stamp}.md"
    out.write_text("\n\n".join(reports) + "\n")
    print(f"written: {out.relative_to(REPO) if out.is_relative_to(REPO) else out}")


if __name__ == "__main__":
    main()
