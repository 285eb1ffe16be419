"""Measuring one scenario in interleaved rounds: bridge, peer (and baseline), then again,
`rounds` times, each at 64 connections (throughput) then 8 (latency). On a shared
machine the load of the neighbours drifts over minutes; two parties measured one right
after the other see nearly the same drift, so the ratio of a round holds where the
absolute figures do not, and the median of the rounds' ratios is what is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bench import checks
from bench.scenarios import Request, Scenario
from bench.wrk_runner import LoadResult, run_wrk

CONNECTIONS = (64, 8)
# Before the rounds, each party serves the scenario for a moment unmeasured: node's JIT
# compiles its hot paths during the first thousands of requests, and the first
# measurement would otherwise charge the peer for it.
WARM_UP_SECONDS = 1
FIRST_GUESS_PER_WORKER = 2000  # req/s, until a party has been measured once


@dataclass
class Phase:
    """The servers up for one number of workers: party -> base URL."""

    workers: int
    urls: Mapping[str, str]
    down: Mapping[str, str] = field(default_factory=dict)  # party -> why it is not up


@dataclass
class Demand:
    """How many single-use inputs to seed: 1.3 × the fastest rate seen for that party,
    scenario and number of connections × the duration, so that a measurement neither
    runs out (wrk would then count the refusals of the last body as non-2xx, and the
    measurement would be left out) nor waits long for seeding, which costs about as
    much CPU per input as the request that spends it."""

    seconds: float
    seen: dict[tuple[str, str, int, int], float] = field(default_factory=dict)

    def count(
        self, scenario: str, party: str, workers: int, connections: int, seconds: float
    ) -> int:
        guess = FIRST_GUESS_PER_WORKER * workers
        rate = self.seen.get((scenario, party, workers, connections), guess)
        return int(rate * seconds * 1.3) + 500

    def observe(self, result: LoadResult) -> None:
        key = (result.scenario, result.party, result.workers, result.connections)
        self.seen[key] = max(self.seen.get(key, 0.0), result.requests_per_second)


def verify(scenario: Scenario, phase: Phase) -> dict[str, list[str]]:
    """Each party's answer to one request of the scenario: what is wrong with it."""
    found: dict[str, list[str]] = {}
    for party, request in scenario.requests.items():
        if party not in phase.urls:
            found[party] = [f"not running: {phase.down.get(party, '?')}"]
            continue
        try:
            body = request.bodies(1).read_text().splitlines()[0] if request.bodies else None
        except Exception as error:  # reported, the run goes on
            found[party] = [f"preparing the request failed: {error}"[:300]]
            continue
        found[party] = checks.send(
            phase.urls[party] + request.path,
            body=body,
            authorization=request.authorization,
            check=request.check,
        )
    return found


def _one(
    scenario: Scenario,
    party: str,
    request: Request,
    *,
    phase: Phase,
    connections: int,
    round_number: int,
    demand: Demand,
) -> LoadResult:
    where: dict[str, Any] = {
        "scenario": scenario.name,
        "party": party,
        "connections": connections,
        "workers": phase.workers,
        "round": round_number,
    }
    seconds = WARM_UP_SECONDS if round_number == 0 else demand.seconds
    body_file = None
    if request.bodies is not None:
        count = (
            1
            if request.cycle
            else demand.count(scenario.name, party, phase.workers, connections, seconds)
        )
        try:
            body_file = request.bodies(count)
        except Exception as error:  # reported, the run goes on
            return LoadResult(**where, failure=f"preparing inputs failed: {error}"[:300])
    result = run_wrk(
        scenario.name,
        phase.urls[party] + request.path,
        party=party,
        connections=connections,
        seconds=seconds,
        workers=phase.workers,
        round_number=round_number,
        bodies=body_file,
        authorization=request.authorization,
        cycle=request.cycle,
    )
    if round_number > 0:
        demand.observe(result)
    return result


def measure(
    scenario: Scenario,
    phase: Phase,
    *,
    rounds: int,
    demand: Demand,
    report: Callable[[LoadResult], None],
) -> list[LoadResult]:
    for party, request in scenario.requests.items():
        if party in phase.urls:
            warm_up = _one(
                scenario,
                party,
                request,
                phase=phase,
                connections=CONNECTIONS[0],
                round_number=0,
                demand=demand,
            )
            if warm_up.failure:
                report(warm_up)
    results: list[LoadResult] = []
    for round_number in range(1, rounds + 1):
        for party, request in scenario.requests.items():
            if party not in phase.urls:
                continue
            for connections in CONNECTIONS:
                result = _one(
                    scenario,
                    party,
                    request,
                    phase=phase,
                    connections=connections,
                    round_number=round_number,
                    demand=demand,
                )
                report(result)
                results.append(result)
    return results


def progress_line(result: LoadResult) -> str:
    head = f"  {result.scenario:<25} {result.party:<8} r{result.round} c={result.connections:<3}"
    if result.failure:
        return f"{head} FAILED: {result.failure}"
    p99 = f"{result.p99_ms:7.2f}" if result.p99_ms is not None else "    n/a"
    errors = f"  errors {result.errors}" if result.errors else ""
    return f"{head} {result.requests_per_second:>8.0f} req/s  p99 {p99} ms{errors}"
