"""Running wrk (Debian's `wrk`, C, Lua-scriptable) and reading its report.

wrk rather than a Python load generator: on a 2-core machine the load generator shares
the CPU with the server, and a Python client spends ~0.3 ms of CPU per request, as much
as the endpoint under test; wrk spends a few microseconds.

A measurement never raises: a slow server, a refused connection, a wrk that hangs or
prints something unexpected all come back as a LoadResult whose `failure` says why, so
one bad scenario cannot end a run of twenty minutes.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "wrk" / "bodies.lua"
# wrk pads its units to two characters ("1.11s ", "2.00m "), so a latency ends in
# whitespace whenever it is a second or more.
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = re.compile(r"([\d.]+)(us|ms|s|m|h)")
_PERCENTILE = re.compile(r"^\s+(50|90|99)%\s+(\S+)\s*$", re.MULTILINE)
_SOCKET_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_ERROR_FIELDS = ("connect_errors", "read_errors", "write_errors", "timeouts")


@dataclass(frozen=True)
class LoadResult:
    scenario: str
    party: str  # bridge, peer or baseline
    connections: int
    workers: int
    round: int = 1
    requests_per_second: float = 0.0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    requests: int = 0
    non_2xx: int = 0  # wrk counts status >= 400 here
    connect_errors: int = 0
    read_errors: int = 0
    write_errors: int = 0
    timeouts: int = 0
    failure: str | None = None  # why there is no figure, when there is none

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(int(getattr(self, name)) for name in _ERROR_FIELDS)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "errors": self.errors}


def wrk_path() -> str | None:
    return shutil.which("wrk")


def millis(text: str) -> float:
    """One wrk latency ("435.00us", "13.00ms", "1.37s ") in milliseconds."""
    match = _LATENCY.fullmatch(text.strip())
    if not match:
        raise ValueError(f"unreadable latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse(output: str) -> dict[str, Any]:
    """The figures of one `wrk --latency` report. Raises ValueError on anything else."""
    percentiles = dict(_PERCENTILE.findall(output))
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not (rps and total and len(percentiles) == 3):
        raise ValueError(f"unreadable wrk output: {output.strip()[:300]!r}")
    figures: dict[str, Any] = {
        "requests_per_second": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": millis(percentiles["50"]),
        "p90_ms": millis(percentiles["90"]),
        "p99_ms": millis(percentiles["99"]),
        "non_2xx": 0,
    }
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non_2xx:
        figures["non_2xx"] = int(non_2xx.group(1))
    sockets = _SOCKET_ERRORS.search(output)
    if sockets:
        figures.update(zip(_ERROR_FIELDS, map(int, sockets.groups()), strict=True))
    if figures["requests"] == 0:
        # wrk prints 0.00us percentiles for a run with no response at all: not a latency.
        figures.update(p50_ms=None, p90_ms=None, p99_ms=None)
        figures["failure"] = "no response completed"
    return figures


def run_wrk(
    scenario: str,
    url: str,
    *,
    party: str,
    connections: int,
    seconds: float,
    workers: int,
    round_number: int = 1,
    threads: int = 1,
    bodies: Path | None = None,
    authorization: str = "-",
    cycle: bool = False,
) -> LoadResult:
    where: dict[str, Any] = {
        "scenario": scenario,
        "party": party,
        "connections": connections,
        "workers": workers,
        "round": round_number,
    }
    wrk = wrk_path()
    if wrk is None:
        return LoadResult(**where, failure="wrk is not installed")
    command = [
        wrk,
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
    try:
        done = subprocess.run(  # noqa: S603 - wrk with arguments we built
            command, capture_output=True, text=True, timeout=seconds + 60, check=False
        )
    except subprocess.TimeoutExpired:
        return LoadResult(**where, failure=f"wrk did not finish in {seconds + 60:.0f} s")
    if done.returncode != 0:
        reason = " ".join((done.stderr or done.stdout).split())
        return LoadResult(**where, failure=f"wrk exit {done.returncode}: {reason[:200]}")
    try:
        return LoadResult(**where, **parse(done.stdout))
    except ValueError as error:
        return LoadResult(**where, failure=str(error))
