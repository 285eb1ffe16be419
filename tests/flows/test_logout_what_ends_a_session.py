"""What else ends a bridge session, or a client's part in it: the resident withdrawing
consent at /consents, the client revoking its grant (RFC 7009), expiry — and the
logout/redirect race: a logout while the browser is still on its way back to a client
leaves that client nothing to redeem."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.flows.conftest import Chain
from tests.flows.logout_support import (
    OTHER,
    PORTAL,
    Receiver,
    SignedIn,
    authorized_code,
    logout,
    logout_chain,
    party,
    receivers,
    sign_in,
    verify_logout_token,
)
from tests.flows.steps import at_iamsmart, choose
from tests.flows.test_consent_memory import sign_in_to_consents, withdraw_form
from tests.support.browser import Resident


@pytest.fixture
def rx() -> Iterator[dict[str, Receiver]]:
    with receivers("portal", "other") as found:
        yield found


@pytest.fixture
def lchain(tmp_path: Path, redis_url: str, rx: dict[str, Receiver]) -> Iterator[Chain]:
    with logout_chain(tmp_path, redis_url, rx, session_ttl=300) as chain:
        yield chain


def alive(signed_in: SignedIn) -> bool:
    return signed_in.rp.userinfo(signed_in.tokens["access_token"]).status_code == 200


def remembered_sign_in(chain: Chain, resident: Resident) -> SignedIn:
    rp = party(chain, PORTAL)
    request = rp.authorization_request()
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    stopped = resident.submit(
        page, button=("decision", "allow"), fields={"remember": "yes"}, stop_at=rp.redirect_uri
    )
    code = httpx.URL(stopped.response.headers["location"]).params["code"]
    tokens = rp.redeem(code, request.verifier).json()
    return SignedIn(rp, request, tokens)


def test_withdrawing_consent_logs_that_client_out_and_no_other(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    portal = remembered_sign_in(lchain, resident)
    other = sign_in(party(lchain, OTHER), resident)
    consents = sign_in_to_consents(lchain, resident)
    resident.submit(consents, form=withdraw_form(consents, "test-portal"))
    tokens = rx["portal"].wait_for(1)
    assert len(tokens) == 1
    claims = verify_logout_token(lchain, tokens[0], "test-portal")
    assert claims["sid"] == portal.claims["sid"]
    assert not alive(portal)
    assert alive(other), "the other client's part of the session goes on"
    time.sleep(0.2)
    assert rx["other"].tokens == []


def test_a_client_revoking_its_grant_leaves_the_session(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    rp = party(lchain, PORTAL)
    request = rp.authorization_request(scope="openid profile offline_access")
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    stopped = resident.submit(page, button=("decision", "allow"), stop_at=rp.redirect_uri)
    code = httpx.URL(stopped.response.headers["location"]).params["code"]
    portal = SignedIn(rp, request, rp.redeem(code, request.verifier).json())
    other = sign_in(party(lchain, OTHER), resident)
    revoked = httpx.post(
        f"{lchain.bridge}/revoke",
        data={"token": portal.tokens["refresh_token"]},
        auth=("test-portal", "test-portal-secret"),
    )
    assert revoked.status_code == 200
    assert alive(other)
    ended = logout(lchain, resident, id_token_hint=other.id_token)
    assert ended.status_code == 303
    assert len(rx["other"].wait_for(1)) == 1
    time.sleep(0.2)
    assert rx["portal"].tokens == [], "it left the session when it revoked its grant"


def test_an_expired_session_logs_its_clients_out(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    lchain.bridge_clock.advance(299)
    time.sleep(0.8)
    assert rx["portal"].tokens == [] and alive(portal)
    lchain.bridge_clock.advance(2)
    tokens = rx["portal"].wait_for(1, timeout=3)
    assert len(tokens) == 1
    assert verify_logout_token(lchain, tokens[0], "test-portal")["sid"] == portal.claims["sid"]
    assert not alive(portal)


def test_a_logout_while_the_browser_returns_to_a_client_leaves_it_nothing(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    """The race Keycloak shipped: the client is told of the logout before it has
    redeemed its code; the code must then be worthless, or the client would open a
    session the resident already ended."""
    portal = sign_in(party(lchain, PORTAL), resident)
    other_rp = party(lchain, OTHER)
    request, code = authorized_code(other_rp, resident)  # the browser is on its way back
    assert logout(lchain, resident, id_token_hint=portal.id_token).status_code == 303
    told = rx["other"].wait_for(1)
    assert len(told) == 1, "the client still on its way is told too"
    assert verify_logout_token(lchain, told[0], "test-other")["sid"] == portal.claims["sid"]
    late = other_rp.redeem(code, request.verifier, auth="post")
    assert late.status_code == 400
    assert late.json()["error"] == "invalid_grant"
