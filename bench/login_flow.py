"""The whole sign-in without a browser: many residents at once go mock Guangdong →
bridge → mock iAM Smart (approve) → bridge consent (allow) → Guangdong (token, userinfo,
binding on the first visit) until their Guangdong profile page shows.

A Python client is right here (unlike for single endpoints): a login is ~10 requests
through three servers, and following redirects with cookies and forms is what the
client must do anyway; its own CPU use is reported so the reader can discount it.
"""

from __future__ import annotations

import asyncio
import html
import re
import resource
import time
from dataclasses import dataclass

import httpx

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
    await client.get(f"{guangdong}/logout")


@dataclass(frozen=True)
class LoginResult:
    concurrency: int
    seconds: float
    logins: int
    failures: int
    logins_per_second: float
    p50_ms: float
    p99_ms: float
    client_cpu_seconds: float

    def as_dict(self) -> dict[str, object]:
        return self.__dict__.copy()


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


def run_logins(guangdong: str, *, concurrency: int, seconds: float) -> LoginResult:
    latencies: list[float] = []
    failures: list[str] = []
    names = list(PERSONAS)
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)

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
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    ordered = sorted(latencies) or [0.0]
    return LoginResult(
        concurrency=concurrency,
        seconds=round(elapsed, 2),
        logins=len(latencies),
        failures=len(failures),
        logins_per_second=round(len(latencies) / elapsed, 1),
        p50_ms=round(ordered[len(ordered) // 2], 1),
        p99_ms=round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        client_cpu_seconds=round(
            (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime),
            2,
        ),
    )
