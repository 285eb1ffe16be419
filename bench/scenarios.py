"""What each scenario sends to each party: the bridge, the peer (node-oidc-provider
doing the nearest thing it has), and for the token-endpoint scenarios the raw-ASGI
baseline. Single-use inputs (codes, refresh tokens) are seeded afresh for every
measurement, in each party's store through its own API; reusable ones are written once.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from bench import checks, peer_app, seed
from bench.checks import Check
from bridge.wire import GRANT_TOKEN_EXCHANGE, TOKEN_TYPE_ACCESS_TOKEN

BRIDGE, PEER, BASELINE = "bridge", "peer", "baseline"
API = "https://api.bench.test/"

TOKEN_REUSE_SECONDS = 120

Bodies = Callable[[int], Path]  # how many are needed -> a file of request bodies


@dataclass(frozen=True)
class Request:
    path: str
    check: Check
    bodies: Bodies | None = None  # None: a GET
    authorization: str = "-"
    cycle: bool = False  # reusable bodies: wrk starts over when it reaches the end
    does: str = ""  # what this party does, where it differs from the scenario's name


@dataclass(frozen=True)
class Scenario:
    name: str
    requests: Mapping[str, Request]  # party -> request, in the order they are measured
    peer_target: float | None = None  # bridge/peer at least this
    baseline_target: float | None = None  # bridge/baseline at least this

    @property
    def single_use(self) -> bool:
        return any(r.bodies is not None and not r.cycle for r in self.requests.values())


@dataclass
class Inputs:
    """What the scenarios are made from in one phase (one number of workers)."""

    workdir: Path
    redis_url: str
    store_key: str
    baseline_body: Path
    sign_in: Callable[[], dict[str, str]]  # a real sign-in at the bridge: its tokens
    _serial: itertools.count[int] = field(default_factory=itertools.count)
    _token: tuple[float, str] | None = None

    def file(self, name: str) -> Path:
        return self.workdir / f"{name}-{next(self._serial)}.txt"

    def reusable(self, name: str, form: dict[str, str]) -> Path:
        path = self.file(name)
        path.write_text(urlencode(form) + "\n")
        return path

    def access_token(self) -> str:
        """A bridge access token young enough to outlive one measurement (they live
        10 minutes; a phase of the run lasts longer)."""
        if self._token is None or time.monotonic() - self._token[0] > TOKEN_REUSE_SECONDS:
            self._token = (time.monotonic(), self.sign_in()["access_token"])
        return self._token[1]

    def from_sign_in(self, name: str, form: Callable[[str], dict[str, str]]) -> Bodies:
        return lambda _count: self.reusable(name, form(self.access_token()))


def build(inputs: Inputs) -> list[Scenario]:
    basic = seed.BASIC
    redis, key = inputs.redis_url, inputs.store_key

    def bridge_codes(count: int) -> Path:
        return seed.code_bodies(redis, key, count, inputs.file("bridge-codes"))

    def bridge_codes_rs256(count: int) -> Path:
        return seed.code_bodies(
            redis, key, count, inputs.file("bridge-codes-rs256"), seed.RS256_CLIENT_ID
        )

    def bridge_refresh(count: int) -> Path:
        return seed.refresh_bodies(redis, key, count, inputs.file("bridge-refresh"))

    def peer_seeded(kind: str) -> Bodies:
        return lambda count: peer_app.seed(kind, count, inputs.file(f"peer-{kind}"), redis)

    def exchange(extra: dict[str, str]) -> Callable[[str], dict[str, str]]:
        return lambda token: {
            "grant_type": GRANT_TOKEN_EXCHANGE,
            "subject_token": token,
            "subject_token_type": TOKEN_TYPE_ACCESS_TOKEN,
            **extra,
        }

    baseline = Request(
        "/token",
        checks.ACCESS_TOKEN,
        bodies=lambda _count: inputs.baseline_body,
        cycle=True,
        does="verify + sign ES256, one SET NX",
    )
    client_credentials = {"grant_type": "client_credentials", "resource": API, "scope": "api"}
    return [
        Scenario(
            "discovery",
            {
                BRIDGE: Request("/.well-known/openid-configuration", checks.discovery),
                PEER: Request("/.well-known/openid-configuration", checks.discovery),
            },
            peer_target=1.5,
        ),
        Scenario(
            "jwks",
            {BRIDGE: Request("/jwks.json", checks.jwks), PEER: Request("/jwks.json", checks.jwks)},
            peer_target=1.5,
        ),
        Scenario(
            "code_redemption",
            {
                BRIDGE: Request("/token", checks.CODE_REDEMPTION, bridge_codes, basic),
                PEER: Request("/token", checks.CODE_REDEMPTION, peer_seeded("codes"), basic),
                BASELINE: baseline,
            },
            peer_target=1.0,
            baseline_target=0.6,
        ),
        Scenario(
            # The same redemption for a client registered without an algorithm: its ID
            # token is signed with RS256 (OIDC Registration's default), beside ES256 above.
            "code_redemption_rs256",
            {
                BRIDGE: Request(
                    "/token",
                    checks.CODE_REDEMPTION_RS256,
                    bridge_codes_rs256,
                    seed.RS256_BASIC,
                    does="the same, RS256 ID token",
                ),
                BASELINE: baseline,
            },
        ),
        Scenario(
            "refresh",
            {
                BRIDGE: Request("/token", checks.REFRESH, bridge_refresh, basic),
                PEER: Request("/token", checks.REFRESH, peer_seeded("refresh"), basic),
            },
            peer_target=1.0,
        ),
        Scenario(
            "token_exchange",
            {
                BRIDGE: Request(
                    "/token",
                    checks.ACCESS_TOKEN,
                    inputs.from_sign_in("exchange", exchange({"resource": API})),
                    basic,
                    cycle=True,
                ),
                PEER: Request(
                    "/token",
                    checks.ACCESS_TOKEN,
                    lambda _count: inputs.reusable("peer-client-credentials", client_credentials),
                    basic,
                    cycle=True,
                    does="client_credentials",
                ),
                BASELINE: baseline,
            },
            peer_target=1.0,
            baseline_target=0.6,
        ),
        Scenario(
            "token_exchange_guangdong",
            {
                BRIDGE: Request(
                    "/token",
                    checks.ANY_ACCESS_TOKEN,
                    inputs.from_sign_in(
                        "exchange-gd", exchange({"audience": "guangdong-platform"})
                    ),
                    basic,
                    cycle=True,
                    does="the mock Guangdong platform's token, through an RFC 7523 assertion",
                )
            },
        ),
        Scenario(
            "introspection",
            {
                BRIDGE: Request(
                    "/introspect",
                    checks.active,
                    inputs.from_sign_in(
                        "introspect",
                        lambda token: {"token": token, "token_type_hint": "access_token"},
                    ),
                    basic,
                    cycle=True,
                    does="a JWT access token: signature, then its grant in Redis",
                ),
                PEER: Request(
                    "/introspect",
                    checks.active,
                    lambda _count: peer_app.seed("access", 1, inputs.file("peer-access"), redis),
                    basic,
                    cycle=True,
                    does="an opaque access token: it and its grant from Redis",
                ),
            },
            peer_target=1.0,
        ),
    ]


NAMES = (
    "discovery",
    "jwks",
    "code_redemption",
    "code_redemption_rs256",
    "refresh",
    "token_exchange",
    "token_exchange_guangdong",
    "introspection",
)
