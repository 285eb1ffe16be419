"""The whole sign-in without a browser: many residents at once go mock Guangdong →
bridge → mock iAM Smart (approve) → bridge consent (allow) → Guangdong (token, userinfo,
binding on the first visit) until their Guangdong profile page shows.

Two drivers do the same requests: `node` (bench/login_driver.mjs, node's http client)
and `python` (httpx, here), which spends four times the CPU per login, more than the
bridge itself (on uvloop it was no better). On two cores the driver's CPU is taken
from the servers', so the lean one is the default; each driver's own CPU time is read
from /proc and reported so the reader can discount it.
"""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.cpu import cpu_seconds, own_cpu_seconds
from bench.peer_app import node

PERSONAS = {
    "wong-wing-fung": "H12345678",
    "lau-chi-ming": "H87654321",
    "cheung-ka-yan": "H23456789",
}
_FORM = re.compile(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', re.DOTALL)
_CSRF = re.compile(r'name="csrf_token"\s+value="([^"]+)"')


class LoginFailed(Exception):
    pass


def _persona_form(page: str, persona: str) -> str:
    for action, body in _FORM.findall(page):
        if f'value="{persona}"' in body:
            return html.unescape(action)
    raise LoginFailed("no QR form for the persona")


def _csrf(page: str) -> str:
    match = _CSRF.search(page)
    if not match:
        raise LoginFailed("no CSRF token on the page")
    return html.unescape(match.group(1))


async def login(client: httpx.AsyncClient, guangdong: str, persona: str) -> None:
    qr = await client.get(f"{guangdong}/login/iamsmart")
    if "/api/v1/auth/getQR" not in str(qr.url):
        raise LoginFailed(f"expected the QR page, got {qr.url}")
    action = httpx.URL(str(qr.url)).join(_persona_form(qr.text, persona))
    consent = await client.post(action, data={"persona": persona, "action": "approve"})
    if "/consent/" not in str(consent.url):
        raise LoginFailed(f"expected the consent page, got {consent.status_code} {consent.url}")
    landed = await client.post(
        consent.url, data={"csrf_token": _csrf(consent.text), "decision": "allow"}
    )
    if 'data-page="bind"' in landed.text:
        landed = await client.post(
            f"{guangdong}/bind",
            data={"csrf_token": _csrf(landed.text), "permit_number": PERSONAS[persona]},
        )
    if 'data-page="profile"' not in landed.text:
        raise LoginFailed(f"expected the profile page, got {landed.status_code} {landed.url}")
    signed_out = await client.get(f"{guangdong}/logout")
    if 'data-page="signed-out"' not in signed_out.text:
        # the bridge refusing the logout (an error page) is a failed run, not a login
        raise LoginFailed(f"expected the signed-out page, got {signed_out.status_code}")


DRIVERS = ("node", "python")
NODE_DRIVER = Path(__file__).resolve().parent / "login_driver.mjs"


@dataclass(frozen=True)
class LoginResult:
    driver: str
    concurrency: int
    seconds: float
    logins: int
    failures: int
    logins_per_second: float
    p50_ms: float
    p99_ms: float
    driver_cpu_seconds: float
    failure_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _result(
    driver: str,
    concurrency: int,
    elapsed: float,
    latencies: list[float],
    failures: list[str],
    cpu: float,
    failure_count: int | None = None,
) -> LoginResult:
    ordered = sorted(latencies) or [0.0]
    return LoginResult(
        driver=driver,
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        logins=len(latencies),
        failures=len(failures) if failure_count is None else failure_count,
        logins_per_second=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=round(ordered[len(ordered) // 2], 1),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        driver_cpu_seconds=round(cpu, 3),
        failure_samples=sorted(set(failures))[:5],
    )


async def _resident(
    guangdong: str, persona: str, deadline: float, latencies: list[float], failures: list[str]
) -> None:
    limits = httpx.Limits(max_keepalive_connections=4)
    async with httpx.AsyncClient(follow_redirects=True, timeout=30, limits=limits) as client:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                await login(client, guangdong, persona)
                latencies.append((time.perf_counter() - started) * 1000)
            except (LoginFailed, httpx.HTTPError) as exc:
                failures.append(str(exc)[:200])


def _python(guangdong: str, concurrency: int, seconds: float) -> LoginResult:
    latencies: list[float] = []
    failures: list[str] = []
    names = list(PERSONAS)
    cpu_before = own_cpu_seconds(os.getpid())

    async def main() -> float:
        started = time.monotonic()
        deadline = started + seconds
        await asyncio.gather(
            *(
                _resident(guangdong, names[i % len(names)], deadline, latencies, failures)
                for i in range(concurrency)
            )
        )
        return time.monotonic() - started

    elapsed = asyncio.run(main())
    cpu = own_cpu_seconds(os.getpid()) - cpu_before
    return _result("python", concurrency, elapsed, latencies, failures, cpu)


def _node(guangdong: str, concurrency: int, seconds: float) -> LoginResult:
    process = subprocess.Popen(  # noqa: S603 - node running our own driver
        [node(), str(NODE_DRIVER), guangdong, str(concurrency), str(seconds)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout and process.stdin and process.stderr  # noqa: S101 - the pipes
    try:
        line = process.stdout.readline()
        cpu = cpu_seconds(process.pid)  # still alive: it waits for its stdin to close
    finally:
        process.stdin.close()
        process.wait(timeout=30)
        stderr = process.stderr.read()
    if not line:
        raise RuntimeError(f"the node login driver failed: {stderr.strip()[-500:]}")
    report = json.loads(line)
    return _result(
        "node",
        concurrency,
        report["seconds"],
        report["latencies_ms"],
        report["failure_samples"],
        cpu,
        failure_count=report["failures"],
    )


def run_logins(guangdong: str, *, concurrency: int, seconds: float, driver: str) -> LoginResult:
    if driver == "node":
        return _node(guangdong, concurrency, seconds)
    return _python(guangdong, concurrency, seconds)
