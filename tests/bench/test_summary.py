"""The verdicts the harness prints: ratios are taken within a round and their median
reported; a measurement that failed or had errors never enters a figure, and is listed;
1 → 2 workers is judged only where the baseline itself scales."""

from __future__ import annotations

from pathlib import Path

from bench import checks
from bench.scenarios import BASELINE, BRIDGE, PEER, Request, Scenario
from bench.summary import row, scaling
from bench.table import render
from bench.wrk_runner import LoadResult

SCENARIO = Scenario(
    "code_redemption",
    {
        BRIDGE: Request("/token", checks.CODE_REDEMPTION, lambda _n: Path("codes")),
        PEER: Request("/token", checks.CODE_REDEMPTION, lambda _n: Path("codes")),
        BASELINE: Request("/token", checks.ACCESS_TOKEN, lambda _n: Path("b"), cycle=True),
    },
    peer_target=1.0,
    baseline_target=0.6,
)


def measured(
    party: str, rps: float, round_number: int, *, workers: int = 1, **extra: object
) -> list[LoadResult]:
    """One party's pair of measurements in a round: 64 connections, then 8."""
    common = {"scenario": "code_redemption", "party": party, "workers": workers}
    return [
        LoadResult(
            **common,  # type: ignore[arg-type]
            connections=connections,
            round=round_number,
            requests_per_second=rps,
            requests=int(rps * 5),
            p50_ms=2.0,
            p90_ms=4.0,
            p99_ms=9.0 if connections == 8 else 90.0,
            **extra,  # type: ignore[arg-type]
        )
        for connections in (64, 8)
    ]


def test_the_ratio_is_the_median_of_the_rounds_ratios() -> None:
    # The machine slows down in round 2: both parties drop, their ratio holds.
    results = [
        *measured(BRIDGE, 1000, 1),
        *measured(PEER, 800, 1),
        *measured(BASELINE, 2000, 1),
        *measured(BRIDGE, 500, 2),
        *measured(PEER, 400, 2),
        *measured(BASELINE, 1000, 2),
        *measured(BRIDGE, 900, 3),
        *measured(PEER, 1000, 3),
        *measured(BASELINE, 1500, 3),
    ]
    summary = row(SCENARIO, 1, results, {})
    assert summary.vs_peer is not None and summary.vs_peer.median == 1.25
    assert (summary.vs_peer.low, summary.vs_peer.high) == (0.9, 1.25)
    assert summary.peer_verdict == "PASS"
    assert summary.vs_baseline is not None and summary.vs_baseline.median == 0.5
    assert summary.baseline_verdict == "MISS"
    assert summary.rps[BRIDGE] == 900 and summary.p99_ms[BRIDGE] == 9.0
    assert summary.errors == {BRIDGE: "0", PEER: "0", BASELINE: "0"}


def test_failed_and_erroneous_measurements_are_listed_not_counted() -> None:
    results = [
        *measured(BRIDGE, 1000, 1),
        *measured(PEER, 1000, 1),
        # round 2: the peer's inputs ran out, its fast refusals would flatter it
        *measured(BRIDGE, 1000, 2),
        *measured(PEER, 5000, 2, non_2xx=4000),
        LoadResult("code_redemption", BRIDGE, 64, 1, round=3, failure="wrk exit 1: refused"),
        *measured(PEER, 1200, 3),
    ]
    summary = row(SCENARIO, 1, results, {PEER: ["id_token is not an ES256 JWT (alg None)"]})
    assert summary.vs_peer is not None
    assert (summary.vs_peer.median, summary.vs_peer.rounds) == (1.0, 1)
    assert summary.rps[PEER] == 1100
    assert summary.errors[PEER] == "8000 non-2xx"
    assert summary.errors[BRIDGE] == "1 failed run"
    assert summary.vs_baseline is None and summary.baseline_verdict == "no figure"
    report = render([summary], [], {})
    assert "peer: id_token is not an ES256 JWT" in report
    assert "peer r2 c64: 4000 non-2xx" in report
    assert "bridge r3 c64: wrk exit 1: refused" in report


def test_scaling_is_judged_only_where_the_baseline_reaches_the_target() -> None:
    def phase(workers: int, bridge: float, baseline: float) -> list[LoadResult]:
        return [
            *measured(BRIDGE, bridge, 1, workers=workers),
            *measured(BASELINE, baseline, 1, workers=workers),
        ]

    scales = [*phase(1, 1000, 2000), *phase(2, 1700, 3900)]
    assert scaling(["code_redemption"], scales)[0].verdict == "MISS"
    busy = [*phase(1, 1000, 2000), *phase(2, 1700, 3100)]
    judged = scaling(["code_redemption"], busy)[0]
    assert (judged.bridge, judged.baseline) == (1.7, 1.55)
    assert judged.verdict == "n/a (baseline ×1.55)"
