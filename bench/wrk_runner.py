"""Running wrk (Debian's `wrk`, C, Lua-scriptable) and reading its report.

wrk rather than a Python load generator: on a 2-core machine the load generator shares
the CPU with the server, and a Python client spends ~0.3 ms of CPU per request, as much
as the endpoint under test; wrk spends a few microseconds.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "wrk" / "bodies.lua"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class LoadResult:
    scenario: str
    connections: int
    workers: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    requests: int
    errors: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("bench: wrk is not installed (Debian: sudo apt-get install -y wrk)")
    return path


def _millis(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> dict[str, float]:
    percentiles = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", output, re.MULTILINE))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if not (rps and total and len(percentiles) == 3):
        raise ValueError(f"unreadable wrk output:\n{output}")
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if sockets:
        errors += sum(int(g) for g in sockets.groups())
    return {
        "requests_per_second": float(rps.group(1)),
        "p50_ms": _millis(percentiles["50"]),
        "p90_ms": _millis(percentiles["90"]),
        "p99_ms": _millis(percentiles["99"]),
        "requests": int(total.group(1)),
        "errors": errors,
    }


def run_wrk(
    scenario: str,
    url: str,
    *,
    connections: int,
    seconds: float,
    workers: int,
    threads: int = 1,
    bodies: Path | None = None,
    authorization: str = "-",
    cycle: bool = False,
) -> LoadResult:
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if bodies is not None:
        command += ["-s", str(LUA), url, "--", str(bodies), authorization, str(threads)]
        command.append("cycle" if cycle else "once")
    else:
        command.append(url)
    output = subprocess.run(  # noqa: S603 - wrk with arguments we built
        command, check=True, capture_output=True, text=True, timeout=seconds + 60
    ).stdout
    return LoadResult(scenario=scenario, connections=connections, workers=workers, **parse(output))  # type: ignore[arg-type]
