"""What the logout tests share: a back-channel receiver (a small fake of a client's
logout endpoint that can be up, down, slow or failing), a chain whose test clients
point at receivers, and signing in the way a client would."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import httpx
import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.flows.conftest import Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import AuthorizationRequest, RelyingParty
from tests.support.servers import RunningServer, bind_loopback, start_server, url_of

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Receiver:
    """Records every logout token POSTed to it and answers with `status` after
    `delay` seconds."""

    url: str = ""
    status: int = 200
    delay: float = 0.0
    tokens: list[str] = field(default_factory=list)
    arrived: threading.Condition = field(default_factory=threading.Condition)
    server: RunningServer | None = None

    def app(self) -> Starlette:
        async def receive(request: Request) -> Response:
            body = parse_qs((await request.body()).decode())
            if self.delay:
                await anyio.sleep(self.delay)
            with self.arrived:
                self.tokens.extend(body.get("logout_token", []))
                self.arrived.notify_all()
            return Response(status_code=self.status, headers={"Cache-Control": "no-store"})

        return Starlette(routes=[Route("/backchannel", receive, methods=["POST"])])

    def wait_for(self, count: int, timeout: float = 5.0) -> list[str]:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.tokens) < count and time.monotonic() < deadline:
                self.arrived.wait(deadline - time.monotonic())
            return list(self.tokens)


@contextmanager
def receivers(*names: str) -> Iterator[dict[str, Receiver]]:
    found: dict[str, Receiver] = {}
    for name in names:
        receiver = Receiver()
        sock = bind_loopback()
        receiver.url = f"{url_of(sock)}/backchannel"
        receiver.server = start_server(receiver.app(), sock)
        found[name] = receiver
    try:
        yield found
    finally:
        for receiver in found.values():
            if receiver.server is not None:
                receiver.server.stop()


def receiver_env(portal: Receiver | None, other: Receiver | None) -> dict[str, str]:
    env = {}
    if portal is not None:
        env["TEST_PORTAL_BACKCHANNEL_URI"] = portal.url
    if other is not None:
        env["TEST_OTHER_BACKCHANNEL_URI"] = other.url
    return env


FAST_RETRIES = {
    "backchannel_retry_base": 1.0,
    "backchannel_max_attempts": 3,
    "backchannel_poll_interval": 0.05,
}


@contextmanager
def logout_chain(
    tmp_path: Path,
    redis_url: str | None,
    rx: dict[str, Receiver],
    restart_of: Chain | None = None,
    **settings: Any,
) -> Iterator[Chain]:
    with running_chain(
        tmp_path,
        redis_url,
        restart_of=restart_of,
        bridge_env=receiver_env(rx.get("portal"), rx.get("other")),
        settings_overrides={**FAST_RETRIES, "backchannel_timeout": 1.0, **settings},
    ) as chain:
        yield chain


PORTAL = ("test-portal", "test-portal-secret", "https://portal.test/callback")
OTHER = ("test-other", "test-other-secret", "https://other.test/callback")


def party(chain: Chain, which: tuple[str, str, str]) -> RelyingParty:
    return RelyingParty(chain.bridge, *which)


@dataclass
class SignedIn:
    rp: RelyingParty
    request: AuthorizationRequest
    tokens: dict[str, Any]

    @property
    def id_token(self) -> str:
        return str(self.tokens["id_token"])

    @property
    def claims(self) -> dict[str, Any]:
        return dict(jwt.decode(self.id_token, options={"verify_signature": False}))


def authorized_code(
    rp: RelyingParty, resident: Resident, *, first: bool = True
) -> tuple[AuthorizationRequest, str]:
    """The code of a sign-in; the first one in a browser goes through iAM Smart and
    consent, later ones too (the session is not single sign-on)."""
    request = rp.authorization_request()
    qr = at_iamsmart(resident, request.url)
    page = choose(resident, qr, "wong-wing-fung")
    stopped = consent(resident, page, "allow", stop_at=rp.redirect_uri)
    return request, location_query(stopped)["code"]


def sign_in(rp: RelyingParty, resident: Resident) -> SignedIn:
    request, code = authorized_code(rp, resident)
    response = rp.redeem(code, request.verifier, auth="post")
    assert response.status_code == 200, response.text
    return SignedIn(rp, request, response.json())


def bridge_keys(chain: Chain) -> jwt.PyJWKSet:
    return jwt.PyJWKSet.from_dict(httpx.get(f"{chain.bridge}/jwks.json").json())


def verify_logout_token(chain: Chain, token: str, audience: str) -> dict[str, Any]:
    """An independent verifier (PyJWT), every claim named explicitly."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "logout+jwt"
    key = bridge_keys(chain)[header["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[header["alg"]],
        audience=audience,
        issuer=chain.bridge,
        options={"require": ["iss", "aud", "iat", "exp", "jti"], "verify_iat": False},
        leeway=10**9,  # the bridge's clock is a manual one, far from this machine's
    )
    return claims


def metric(chain: Chain, client_id: str, outcome: str) -> float:
    """bridge_backchannel_logout_total{client_id, outcome}, read from the bridge's own
    registry (what its metrics listener serves; the public listener does not)."""
    registry = chain.bridge_app.state.core.metrics.registry
    labels = {"client_id": client_id, "outcome": outcome}
    value = registry.get_sample_value("bridge_backchannel_logout_total", labels)
    return float(value or 0.0)


def wait_until(check: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.02)
    return bool(check())


def logout(chain: Chain, resident: Resident, **params: str) -> httpx.Response:
    return resident.step("GET", f"{chain.bridge}/logout", params=params)
