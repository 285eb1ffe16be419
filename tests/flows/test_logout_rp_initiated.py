"""OpenID Connect RP-Initiated Logout 1.0 at the bridge's end-session endpoint, and the
bridge session it ends (Back-Channel Logout 1.0 §2.1 `sid`), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from tests.flows.conftest import Chain
from tests.flows.logout_support import (
    OTHER,
    PORTAL,
    Receiver,
    SignedIn,
    logout,
    logout_chain,
    party,
    receivers,
    sign_in,
    verify_logout_token,
)
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.support.browser import Resident

SIGNED_OUT = "https://portal.test/signed-out"


@pytest.fixture
def rx() -> Iterator[dict[str, Receiver]]:
    with receivers("portal", "other") as found:
        yield found


@pytest.fixture
def lchain(tmp_path: Path, redis_url: str, rx: dict[str, Receiver]) -> Iterator[Chain]:
    with logout_chain(tmp_path, redis_url, rx) as chain:
        yield chain


def userinfo_status(chain: Chain, signed_in: SignedIn) -> int:
    return signed_in.rp.userinfo(signed_in.tokens["access_token"]).status_code


def is_error_page(response: httpx.Response) -> bool:
    return response.status_code == 400 and "location" not in response.headers


def test_id_tokens_of_one_browser_share_a_sid(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    other = sign_in(party(lchain, OTHER), resident)
    assert portal.claims["sid"] and portal.claims["sid"] == other.claims["sid"]
    elsewhere = Resident()
    try:
        third = sign_in(party(lchain, PORTAL), elsewhere)
    finally:
        elsewhere.close()
    assert third.claims["sid"] != portal.claims["sid"], "another browser, another session"


def test_discovery_advertises_logout(lchain: Chain) -> None:
    document = httpx.get(f"{lchain.bridge}/.well-known/openid-configuration").json()
    assert document["end_session_endpoint"] == f"{lchain.bridge}/logout"
    assert document["backchannel_logout_supported"] is True
    assert document["backchannel_logout_session_supported"] is True


def test_logout_with_a_hint_ends_the_session_everywhere(
    lchain: Chain, resident: Resident, rx: dict[str, Receiver]
) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    other = sign_in(party(lchain, OTHER), resident)
    response = logout(
        lchain,
        resident,
        id_token_hint=portal.id_token,
        post_logout_redirect_uri=SIGNED_OUT,
        state="st-1",
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{SIGNED_OUT}?state=st-1"
    assert userinfo_status(lchain, portal) == 401
    assert userinfo_status(lchain, other) == 401
    introspected = httpx.post(
        f"{lchain.bridge}/introspect",
        data={
            "token": other.tokens["access_token"],
            "client_id": "test-other",
            "client_secret": "test-other-secret",
        },
    ).json()
    assert introspected == {"active": False}
    sid = portal.claims["sid"]
    for name, client_id, signed_in in (
        ("portal", "test-portal", portal),
        ("other", "test-other", other),
    ):
        tokens = rx[name].wait_for(1)
        assert len(tokens) == 1, f"{name} was not told"
        claims = verify_logout_token(lchain, tokens[0], client_id)
        assert claims["sid"] == sid
        assert claims["sub"] == signed_in.claims["sub"]
        assert claims["events"] == {"http://schemas.openid.net/event/backchannel-logout": {}}
        assert "nonce" not in claims


def test_an_expired_hint_is_still_accepted(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    lchain.bridge_clock.advance(3600 * 2)  # the ID token (and the access token) expired
    response = logout(
        lchain, resident, id_token_hint=portal.id_token, post_logout_redirect_uri=SIGNED_OUT
    )
    assert response.status_code == 303
    assert response.headers["location"] == SIGNED_OUT


def forged(claims: dict[str, object]) -> str:
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    return jose_jwt.encode({"alg": "ES256", "kid": "forged", "typ": "JWT"}, claims, key)


def test_a_forged_hint_is_an_error_page_and_ends_nothing(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    response = logout(
        lchain, resident, id_token_hint=forged(portal.claims), post_logout_redirect_uri=SIGNED_OUT
    )
    assert is_error_page(response)
    assert userinfo_status(lchain, portal) == 200


def test_a_hint_of_another_issuer_is_an_error_page(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    response = logout(lchain, resident, id_token_hint=portal.id_token + "x")
    assert is_error_page(response)
    assert userinfo_status(lchain, portal) == 200


def test_a_hint_for_another_client_is_an_error_page(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    response = logout(
        lchain,
        resident,
        id_token_hint=portal.id_token,
        client_id="test-other",
        post_logout_redirect_uri="https://other.test/bye",
    )
    assert is_error_page(response)
    assert userinfo_status(lchain, portal) == 200


@pytest.mark.parametrize(
    "uri",
    [
        "https://evil.test/signed-out",
        "https://portal.test/signed-out/more",  # prefix of a registered one
        "https://portal.test/signed-ou",
        "https://other.test/bye",  # registered, but for another client
    ],
)
def test_an_unregistered_post_logout_redirect_uri_is_never_followed(
    lchain: Chain, resident: Resident, uri: str
) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    response = logout(lchain, resident, id_token_hint=portal.id_token, post_logout_redirect_uri=uri)
    assert is_error_page(response)
    assert "location" not in response.headers
    assert userinfo_status(lchain, portal) == 200


def test_a_post_logout_redirect_uri_without_a_client_is_an_error_page(
    lchain: Chain, resident: Resident
) -> None:
    assert is_error_page(logout(lchain, resident, post_logout_redirect_uri=SIGNED_OUT))


def test_logout_by_post_works_like_get(lchain: Chain, resident: Resident) -> None:
    portal = sign_in(party(lchain, PORTAL), resident)
    response = resident.step(
        "POST",
        f"{lchain.bridge}/logout",
        data={
            "id_token_hint": portal.id_token,
            "post_logout_redirect_uri": SIGNED_OUT,
            "state": "p",
        },
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"{SIGNED_OUT}?state=p"
    assert userinfo_status(lchain, portal) == 401


def test_a_refreshed_id_token_keeps_the_sid_and_dies_with_the_session(
    lchain: Chain, resident: Resident
) -> None:
    rp = party(lchain, PORTAL)
    request = rp.authorization_request(scope="openid profile offline_access")
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    stopped = resident.submit(page, button=("decision", "allow"), stop_at=rp.redirect_uri)
    tokens = rp.redeem(location_query(stopped)["code"], request.verifier).json()
    first = SignedIn(rp, request, tokens)

    def refresh(token: str) -> httpx.Response:
        return httpx.post(
            f"{lchain.bridge}/token",
            data={"grant_type": "refresh_token", "refresh_token": token},
            auth=("test-portal", "test-portal-secret"),
        )

    refreshed = refresh(tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.text
    again = SignedIn(rp, request, refreshed.json())
    assert again.claims["sid"] == first.claims["sid"]
    assert logout(lchain, resident, id_token_hint=again.id_token).status_code == 303
    after = refresh(refreshed.json()["refresh_token"])
    assert after.status_code == 400 and after.json()["error"] == "invalid_grant"
