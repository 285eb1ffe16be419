"""The run's report as Markdown: one row per scenario and number of workers, then
1 → 2 workers, the whole login, Redis per session, and every problem met on the way."""

from __future__ import annotations

from typing import Any

from bench.scenarios import BASELINE, BRIDGE, PEER
from bench.summary import SCALING_TARGET, Row, Scaling


def _num(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def _target(value: str, target: float | None) -> str:
    return f"≥ {target:g}: **{value}**" if target is not None else ""


def rows_table(rows: list[Row]) -> str:
    lines = [
        "| scenario | workers | bridge req/s | peer req/s | bridge/peer (range) | target "
        "| bridge p99 ms | peer p99 ms | × baseline (range) | target | errors (bridge / peer) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        vs_peer = r.vs_peer.text() if r.vs_peer else "–"
        vs_base = r.vs_baseline.text() if r.vs_baseline else ""
        errors = " / ".join(r.errors.get(p, "–") for p in (BRIDGE, PEER) if p in r.errors)
        if BASELINE in r.errors and r.errors[BASELINE] != "0":
            errors += f" (baseline {r.errors[BASELINE]})"
        lines.append(
            f"| {r.scenario} | {r.workers} | {_num(r.rps.get(BRIDGE))} | "
            f"{_num(r.rps.get(PEER)) if PEER in r.rps else 'n/a'} | {vs_peer} | "
            f"{_target(r.peer_verdict, r.peer_target)} | {_num(r.p99_ms.get(BRIDGE), 1)} | "
            f"{_num(r.p99_ms.get(PEER), 1) if PEER in r.p99_ms else 'n/a'} | {vs_base} | "
            f"{_target(r.baseline_verdict, r.baseline_target)} | {errors} |"
        )
    return "\n".join(lines)


def scaling_table(scaling: list[Scaling]) -> str:
    if not scaling:
        return ""
    base = scaling[0].baseline
    lines = [
        f"1 → 2 workers (req/s at 64 connections; baseline ×{_num(base, 2)}; target "
        f"≥ {SCALING_TARGET} for each scenario when the baseline itself reaches it):",
        "",
        "| scenario | bridge | peer | target |",
        "|---|---|---|---|",
    ]
    for s in scaling:
        lines.append(f"| {s.scenario} | ×{_num(s.bridge, 2)} | ×{_num(s.peer, 2)} | {s.verdict} |")
    return "\n".join(lines)


def notes(rows: list[Row]) -> str:
    seen: set[tuple[str, str, str]] = set()
    lines = []
    for r in rows:
        for party, does in r.does.items():
            if (r.scenario, party, does) not in seen:
                seen.add((r.scenario, party, does))
                lines.append(f"- {r.scenario}, {party}: {does}")
    return "\n".join(lines)


def problems(rows: list[Row]) -> str:
    lines = [
        f"- {r.scenario} ({r.workers} worker{'s' * (r.workers > 1)}) {problem}"
        for r in rows
        for problem in r.problems
    ]
    return "\n".join(["Problems (not in the medians):", *lines]) if lines else ""


def login_text(extra: dict[str, Any]) -> str:
    lines = []
    login = extra.get("login_flow")
    if login:
        lines.append(
            f"Whole login flow ({login['driver']} driver, {login['concurrency']} residents at "
            f"once): {login['logins_per_second']} logins/s, p50 {login['p50_ms']} ms, "
            f"p99 {login['p99_ms']} ms, {login['failures']} failures"
        )
        if login.get("cpu_ms_per_login"):
            cpu = login["cpu_ms_per_login"]
            lines.append(
                "CPU ms per login: "
                + ", ".join(f"{name} {ms}" for name, ms in cpu.items())
                + f" (all: {round(sum(cpu.values()), 1)})"
            )
    if extra.get("login_flow_error"):
        lines.append(f"Whole login flow failed: {extra['login_flow_error']}")
    memory = extra.get("redis_left_per_login")
    if memory:
        lines.append(
            f"Redis left per login, after its logout: {memory['bytes']} bytes, "
            f"{memory['keys']} keys "
            f"(+{memory['audit_bytes_per_login']} bytes of audit trail per login)"
        )
    return "\n".join(lines)


def render(rows: list[Row], scaling: list[Scaling], extra: dict[str, Any]) -> str:
    parts = [rows_table(rows), notes(rows), scaling_table(scaling), login_text(extra)]
    parts.append(problems(rows))
    return "\n\n".join(part for part in parts if part)
