"""Driving sign-ins and code redemptions through the real chain while Redis fails over,
and judging every answer as a resident or a client would see it.

Each answer is one of: done (a page, a redirect, tokens), `unavailable` (503 with
Retry-After: a page for the resident, `temporarily_unavailable` JSON for the client),
`refused` (a protocol error in its own form, e.g. `invalid_grant` for a code that
the outage cost) — or `broken` (anything else: a 500, a stack trace), which no test
accepts.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import httpx

from tests.flows.steps import choose, location_query
from tests.support.browser import Page, Resident
from tests.support.rp import RelyingParty


def judge(response: httpx.Response) -> str:
    status = response.status_code
    if status < 400:
        return "done"
    if status == 503 and response.headers.get("retry-after"):
        is_json = response.headers.get("content-type", "").startswith("application/json")
        if not is_json or response.json().get("error") == "temporarily_unavailable":
            return "unavailable"
    if status in (400, 401) and response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return "refused"
    return "broken"


@dataclass
class Tally:
    """What every request answered, and what each code was redeemed for."""

    answers: Counter[str] = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    tokens_per_code: dict[str, int] = field(default_factory=dict)
    completed: int = 0
    slowest: dict[str, float] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, what: str, response: httpx.Response) -> str:
        verdict = judge(response)
        seconds = response.elapsed.total_seconds()
        with self.lock:
            self.answers[f"{what}:{verdict}"] += 1
            self.slowest[what] = max(self.slowest.get(what, 0.0), seconds)
            if verdict == "broken":
                self.broken.append(f"{what}: {response.status_code} {response.text[:200]}")
        return verdict

    def summary(self) -> str:
        """For the record (pytest -s): what was answered, and the slowest answers."""
        slow = ", ".join(f"{k} {v:.2f} s" for k, v in sorted(self.slowest.items()))
        return f"completed {self.completed}; {dict(sorted(self.answers.items()))}; slowest: {slow}"

    def redeemed(self, code: str, got_tokens: bool) -> None:
        with self.lock:
            self.tokens_per_code[code] = self.tokens_per_code.get(code, 0) + int(got_tokens)


def _page_ok(tally: Tally, what: str, page: Page) -> bool:
    return tally.note(what, page.response) == "done"


def sign_in(
    bridge: str, tally: Tally, *, replay: bool = True, keep_alive: bool = True
) -> str | None:
    """One resident signs in and the client redeems the code (then replays it); the
    code, if one was issued. Stops at the first step that did not go through."""
    rp, resident = RelyingParty(bridge), Resident(keep_alive=keep_alive)
    try:
        request = rp.authorization_request()
        qr = resident.open(request.url)
        if not _page_ok(tally, "authorize", qr) or "getQR" not in qr.url:
            return None
        consent_page = choose(resident, qr, "wong-wing-fung")
        if not _page_ok(tally, "callback", consent_page) or "/consent/" not in consent_page.url:
            return None
        back = resident.submit(consent_page, button=("decision", "allow"), stop_at=rp.redirect_uri)
        if tally.note("consent", back.response) != "done":
            return None
        code = location_query(back).get("code")
        if code is None:
            return None
        for _ in range(2 if replay else 1):
            answer = rp.redeem(code, request.verifier)
            tally.note("token", answer)
            tally.redeemed(code, answer.status_code == 200)
        with tally.lock:
            tally.completed += 1
        return code
    except httpx.HTTPError as exc:  # the bridge must answer, not hang up
        with tally.lock:
            tally.broken.append(f"no answer: {exc!r}")
        return None
    finally:
        resident.close()


def replay_all(bridge: str, codes: list[str], tally: Tally) -> None:
    """Present every code again after the failover: none may yield tokens."""
    rp = RelyingParty(bridge)
    for code in codes:
        answer = rp.redeem(code, "x" * 43)
        tally.note("replay", answer)
        tally.redeemed(code, answer.status_code == 200)


@dataclass
class Readiness:
    statuses: list[int] = field(default_factory=list)


def sign_ins_during(
    bridge: str,
    break_redis: Callable[[], None],
    *,
    workers: int = 3,
    after: float = 3.0,
    keep_alive: bool = True,
) -> tuple[Tally, list[str], Readiness]:
    """Residents sign in continuously on `workers` threads while `break_redis` runs
    (from a second in), and for `after` seconds more; `/readyz` is polled throughout."""
    tally, codes, ready = Tally(), [], Readiness()
    stop = threading.Event()

    def resident_loop() -> None:
        while not stop.is_set():
            code = sign_in(bridge, tally, keep_alive=keep_alive)
            if code is not None:
                codes.append(code)

    def poll_readiness() -> None:
        with httpx.Client(timeout=10) as http:
            while not stop.is_set():
                ready.statuses.append(http.get(f"{bridge}/readyz").status_code)
                time.sleep(0.1)

    with ThreadPoolExecutor(workers + 1) as pool:
        futures = [pool.submit(resident_loop) for _ in range(workers)]
        futures.append(pool.submit(poll_readiness))
        time.sleep(1.0)
        break_redis()
        time.sleep(after)
        stop.set()
        for future in futures:
            future.result()
    return tally, codes, ready


def assert_outage_cost_at_most_sign_ins(tally: Tally, codes: list[str], bridge: str) -> None:
    """Nothing broken, no code redeemed twice (also replayed after), and sign-ins work
    again without a restart."""
    print(tally.summary())
    assert not tally.broken, tally.broken
    assert sum(tally.answers.values()) > 0, "no request was made during the failover"
    replay_all(bridge, codes, tally)
    assert not tally.broken, tally.broken
    twice = {code: n for code, n in tally.tokens_per_code.items() if n > 1}
    assert not twice, f"codes that yielded tokens twice: {len(twice)}"
    after = Tally()
    for _ in range(3):
        assert sign_in(bridge, after) is not None, after.answers
    assert after.answers["token:done"] == 3, f"not recovered: {after.answers}"
