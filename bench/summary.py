"""From the interleaved measurements to the figures and verdicts the run reports: per
scenario and number of workers, the median of the rounds' throughput and p99 for each
party, the median of the rounds' bridge/peer and bridge/baseline ratios with their
range, the errors, and PASS or MISS against each target; then 1 → 2 workers.

A measurement counts when it ran and at most 0.1 % of its requests failed; the others
are listed, never silently averaged in (error responses are fast, and would flatter).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.scenarios import BASELINE, BRIDGE, PEER, Scenario
from bench.wrk_runner import LoadResult

THROUGHPUT, LATENCY = 64, 8
SCALING_TARGET = 1.8
MAX_ERROR_SHARE = 0.001


def clean(result: LoadResult) -> bool:
    return result.failure is None and result.errors <= MAX_ERROR_SHARE * max(result.requests, 1)


@dataclass(frozen=True)
class Ratio:
    median: float
    low: float
    high: float
    rounds: int

    def text(self) -> str:
        spread = f" ({self.low:.2f}–{self.high:.2f})" if self.rounds > 1 else ""
        return f"{self.median:.2f}{spread}"


def ratio(values: list[float]) -> Ratio | None:
    if not values:
        return None
    return Ratio(round(statistics.median(values), 3), min(values), max(values), len(values))


def verdict(value: float | None, target: float | None) -> str:
    if target is None:
        return ""
    if value is None:
        return "no figure"
    return "PASS" if value >= target else "MISS"


def error_text(results: Iterable[LoadResult]) -> str:
    totals: dict[str, int] = {}
    failed = 0
    for r in results:
        failed += r.failure is not None
        for name in ("non_2xx", "connect_errors", "read_errors", "write_errors", "timeouts"):
            totals[name] = totals.get(name, 0) + getattr(r, name)
    words = {
        "non_2xx": "non-2xx",
        "connect_errors": "connect",
        "read_errors": "read",
        "write_errors": "write",
        "timeouts": "timeout",
    }
    parts = [f"{count} {words[name]}" for name, count in totals.items() if count]
    if failed:
        parts.append(f"{failed} failed run{'s' * (failed > 1)}")
    return ", ".join(parts) or "0"


@dataclass
class Row:
    scenario: str
    workers: int
    does: dict[str, str]
    rps: dict[str, float | None]  # party -> median req/s at 64 connections
    p99_ms: dict[str, float | None]  # party -> median p99 at 8 connections
    vs_peer: Ratio | None
    peer_target: float | None
    vs_baseline: Ratio | None
    baseline_target: float | None
    errors: dict[str, str]
    problems: list[str] = field(default_factory=list)  # failed checks and runs

    @property
    def peer_verdict(self) -> str:
        return verdict(self.vs_peer.median if self.vs_peer else None, self.peer_target)

    @property
    def baseline_verdict(self) -> str:
        return verdict(self.vs_baseline.median if self.vs_baseline else None, self.baseline_target)

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "peer_verdict": self.peer_verdict,
            "baseline_verdict": self.baseline_verdict,
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def _per_round(results: list[LoadResult], party: str, other: str) -> list[float]:
    by_round: dict[int, dict[str, float]] = {}
    for r in results:
        if r.connections == THROUGHPUT and clean(r) and r.requests_per_second > 0:
            by_round.setdefault(r.round, {})[r.party] = r.requests_per_second
    return [
        figures[party] / figures[other]
        for figures in by_round.values()
        if party in figures and other in figures
    ]


def row(
    scenario: Scenario,
    workers: int,
    results: list[LoadResult],
    problems: Mapping[str, list[str]],
) -> Row:
    mine = [r for r in results if r.scenario == scenario.name and r.workers == workers]
    parties = list(scenario.requests)
    rps = {
        p: _median(
            [
                r.requests_per_second
                for r in mine
                if r.party == p and r.connections == THROUGHPUT and clean(r)
            ]
        )
        for p in parties
    }
    p99 = {
        p: _median(
            [
                r.p99_ms
                for r in mine
                if r.party == p and r.connections == LATENCY and clean(r) and r.p99_ms is not None
            ]
        )
        for p in parties
    }
    listed = [f"{party}: {problem}" for party, found in problems.items() for problem in found]
    listed += [
        f"{r.party} r{r.round} c{r.connections}: {r.failure or error_text([r])}"
        for r in mine
        if not clean(r)
    ]
    return Row(
        scenario=scenario.name,
        workers=workers,
        does={p: req.does for p, req in scenario.requests.items() if req.does},
        rps=rps,
        p99_ms=p99,
        vs_peer=ratio(_per_round(mine, BRIDGE, PEER)) if PEER in parties else None,
        peer_target=scenario.peer_target,
        vs_baseline=ratio(_per_round(mine, BRIDGE, BASELINE)) if BASELINE in parties else None,
        baseline_target=scenario.baseline_target,
        errors={
            p: error_text(r for r in mine if r.party == p)
            if any(r.party == p for r in mine)
            else "–"
            for p in parties
        },
        problems=listed,
    )


@dataclass(frozen=True)
class Scaling:
    scenario: str
    bridge: float | None
    peer: float | None
    applies: bool  # the baseline itself reaches the target on this machine
    baseline: float | None

    @property
    def verdict(self) -> str:
        if self.baseline is None:
            return "baseline not measured"
        if not self.applies:
            return f"n/a (baseline ×{self.baseline:.2f})"
        return verdict(self.bridge, SCALING_TARGET)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "verdict": self.verdict}


def _throughput(results: list[LoadResult], scenario: str, party: str, workers: int) -> float | None:
    return _median(
        [
            r.requests_per_second
            for r in results
            if (r.scenario, r.party, r.workers, r.connections) == (scenario, party, workers, 64)
            and clean(r)
        ]
    )


def _factor(two: float | None, one: float | None) -> float | None:
    return round(two / one, 2) if two and one else None


def scaling(names: list[str], results: list[LoadResult]) -> list[Scaling]:
    """1 → 2 workers from each party's median throughput at each (rounds of different
    phases cannot be paired)."""
    baseline_runs = {
        w: _median(
            [
                r.requests_per_second
                for r in results
                if r.party == BASELINE and r.workers == w and r.connections == 64 and clean(r)
            ]
        )
        for w in (1, 2)
    }
    base = _factor(baseline_runs[2], baseline_runs[1])
    return [
        Scaling(
            scenario=name,
            bridge=_factor(
                _throughput(results, name, BRIDGE, 2), _throughput(results, name, BRIDGE, 1)
            ),
            peer=_factor(_throughput(results, name, PEER, 2), _throughput(results, name, PEER, 1)),
            applies=base is not None and base >= SCALING_TARGET,
            baseline=base,
        )
        for name in names
        if any(r.scenario == name and r.workers == 2 for r in results)
        and any(r.scenario == name and r.workers == 1 for r in results)
    ]
