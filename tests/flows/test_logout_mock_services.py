"""The mock services as real receivers of the bridge's logout: the mock Guangdong
platform and the mock Hong Kong e-service verify logout tokens against the bridge's
JWKS, end their session by `sid`, and their "Sign out" starts RP-Initiated Logout at the
bridge. A session that began at Guangdong's platform passes through its logout URL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from joserfc import jwt as jose_jwt

from bridge.clock import ManualClock
from mock_idps.hk_eservice import create_app, load_config
from tests.flows.conftest import START, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Page, Resident
from tests.support.servers import bind_loopback, serving, url_of

EVENT = "http://schemas.openid.net/event/backchannel-logout"


@dataclass
class Services:
    chain: Chain
    hk: str
    hk_app: Any

    @property
    def hk_sessions(self) -> Any:
        return self.hk_app.state.hk_eservice.sessions


@pytest.fixture
def services(tmp_path: Path, redis_url: str) -> Iterator[Services]:
    sock = bind_loopback()
    hk_url = url_of(sock)
    env = {"HK_ESERVICE_PUBLIC_URL": hk_url}
    fast = {"backchannel_poll_interval": 0.05, "backchannel_timeout": 2.0}
    with running_chain(tmp_path, redis_url, env_overrides=env, settings_overrides=fast) as chain:
        config = load_config(env={**env, "BRIDGE_ISSUER": chain.bridge})
        hk_app = create_app(config, clock=ManualClock(START).now)
        with serving(hk_app, sock):
            yield Services(chain, hk_url, hk_app)


@pytest.fixture
def resident() -> Iterator[Resident]:
    person = Resident(accept_language="en")
    yield person
    person.close()


def press(page: Page, element_id: str) -> str:
    link = page.html.find(id=element_id)
    assert link is not None, f"no #{element_id} on {page.url}"
    return urljoin(page.url, str(link["href"]))


def data_page(page: Page) -> str | None:
    main = page.html.find("main")
    return main.get("data-page") if main else None


def hk_with_iamsmart(services: Services, resident: Resident) -> Page:
    home = resident.open(f"{services.hk}/?lang=en")
    qr = at_iamsmart(resident, press(home, "login-iamsmart"))
    return consent(resident, choose(resident, qr, "wong-wing-fung"), "allow")


def guangdong_with_iamsmart(services: Services, resident: Resident) -> Page:
    qr = at_iamsmart(resident, f"{services.chain.guangdong}/login/iamsmart")
    bind = consent(resident, choose(resident, qr, "wong-wing-fung"), "allow")
    profile = resident.submit(bind, fields={"permit_number": "H12345678"})
    assert data_page(profile) == "profile", profile.text[:300]
    return profile


def hk_signed_in(services: Services, resident: Resident) -> bool:
    return resident.open(f"{services.hk}/profile").url == f"{services.hk}/profile"


def wait_until(check: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return bool(check())


def test_signing_out_at_guangdong_signs_the_resident_out_of_the_hk_eservice(
    services: Services, resident: Resident
) -> None:
    guangdong_with_iamsmart(services, resident)
    assert data_page(hk_with_iamsmart(services, resident)) == "profile"
    signed_out = resident.open(f"{services.chain.guangdong}/logout")
    assert signed_out.url.startswith(f"{services.chain.guangdong}/signed-out?state="), (
        signed_out.url
    )
    assert any("/logout?" in str(hop.url) for hop in signed_out.hops), "through the bridge"
    assert data_page(signed_out) == "signed-out"
    assert wait_until(lambda: len(services.hk_sessions) == 0), "the back-channel notice ended it"
    assert not hk_signed_in(services, resident)


def test_signing_out_at_the_hk_eservice_signs_out_at_guangdong(
    services: Services, resident: Resident
) -> None:
    guangdong_with_iamsmart(services, resident)
    profile = hk_with_iamsmart(services, resident)
    signed_out = resident.submit(profile)
    assert signed_out.url.startswith(f"{services.hk}/signed-out?state=")
    assert wait_until(lambda: len(services.chain.guangdong_state.sessions) == 0)
    platform = resident.open(f"{services.chain.guangdong}/profile")
    assert data_page(platform) != "profile"


def test_a_mainland_session_leaves_through_the_platforms_logout(
    services: Services, resident: Resident
) -> None:
    home = resident.open(f"{services.hk}/?lang=en")
    login = resident.open(press(home, "login-guangdong"))
    form = login.html.select_one('#login-platform form[data-persona="chen-fa-ming"]')
    assert form is not None, login.text[:300]
    page = resident.submit(login, form=form, button=("action", "sign_in"))
    profile = consent(resident, page, "allow")
    assert data_page(profile) == "profile", profile.text[:300]
    assert len(services.chain.guangdong_state.sessions) == 1, "the platform's own session"
    signed_out = resident.submit(profile)
    hops = [str(hop.url) for hop in signed_out.hops]
    assert any("/_tif_sso_logout_/" in hop for hop in hops), hops
    assert signed_out.url.startswith(f"{services.hk}/signed-out?state=")
    assert len(services.chain.guangdong_state.sessions) == 0
    assert not hk_signed_in(services, resident)


def bridge_token(services: Services, claims: dict[str, Any], typ: str = "logout+jwt") -> str:
    """Signed with the bridge's own active key, as a bridge bug or a replay would be."""
    key = services.chain.bridge_app.state.core.key_ring.current().signer("ES256")
    header = {"alg": key.alg, "kid": key.kid, "typ": typ}
    return jose_jwt.encode(header, claims, key.key, algorithms=[key.alg])


def the_sid(services: Services) -> tuple[str, str]:
    (session,) = [s for _, (_, s) in services.hk_sessions._records.items()]
    return str(session.id_token_claims["sid"]), str(session.subject)


def logout_claims(
    services: Services, sid: str, sub: str, changes: dict[str, Any] | None = None
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "iss": services.chain.bridge,
        "aud": "hk-eservice-dev",
        "iat": int(START),
        "exp": int(START) + 120,
        "jti": f"jti-{time.monotonic_ns()}",
        "sid": sid,
        "sub": sub,
        "events": {EVENT: {}},
    }
    claims.update(changes or {})
    return {k: v for k, v in claims.items() if v is not None}


def post_logout(services: Services, token: str) -> httpx.Response:
    return httpx.post(f"{services.hk}/backchannel-logout", data={"logout_token": token})


def test_a_sid_mismatch_ends_nothing(services: Services, resident: Resident) -> None:
    hk_with_iamsmart(services, resident)
    sid, sub = the_sid(services)
    answer = post_logout(
        services, bridge_token(services, logout_claims(services, "another-sid", sub))
    )
    assert answer.status_code == 200, "a valid notice, about another session"
    assert hk_signed_in(services, resident), "not ended by sub alone when a sid is named"
    ended = post_logout(services, bridge_token(services, logout_claims(services, sid, sub)))
    assert ended.status_code == 200
    assert not hk_signed_in(services, resident)


@pytest.mark.parametrize(
    ("changes", "typ"),
    [
        ({"nonce": "n"}, "logout+jwt"),  # an ID token must never pass for one
        ({"events": None}, "logout+jwt"),
        ({"events": {EVENT: "yes"}}, "logout+jwt"),
        ({"aud": "another-client"}, "logout+jwt"),
        ({"iss": "https://elsewhere.test"}, "logout+jwt"),
        ({"iat": int(START) - 3600, "exp": int(START) + 60}, "logout+jwt"),
        ({"sid": None, "sub": None}, "logout+jwt"),
        ({}, "JWT"),
    ],
)
def test_a_bad_logout_token_is_400_and_ends_nothing(
    services: Services, resident: Resident, changes: dict[str, Any], typ: str
) -> None:
    hk_with_iamsmart(services, resident)
    sid, sub = the_sid(services)
    answer = post_logout(
        services, bridge_token(services, logout_claims(services, sid, sub, changes), typ)
    )
    assert answer.status_code == 400
    assert hk_signed_in(services, resident)


def test_a_logout_token_works_once(services: Services, resident: Resident) -> None:
    hk_with_iamsmart(services, resident)
    sid, sub = the_sid(services)
    token = bridge_token(services, logout_claims(services, sid, sub))
    assert post_logout(services, token).status_code == 200
    assert post_logout(services, token).status_code == 400, "jti is single use"


def test_a_token_not_signed_by_the_bridge_is_400(services: Services, resident: Resident) -> None:
    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc.jwk import ECKey

    hk_with_iamsmart(services, resident)
    sid, sub = the_sid(services)
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    kid = services.chain.bridge_app.state.core.key_ring.current().signer("ES256").kid
    forged = jose_jwt.encode(
        {"alg": "ES256", "kid": kid, "typ": "logout+jwt"}, logout_claims(services, sid, sub), key
    )
    assert post_logout(services, forged).status_code == 400
    assert hk_signed_in(services, resident)


def test_a_notice_during_the_redirect_back_leaves_no_session(
    services: Services, resident: Resident
) -> None:
    """The race: the bridge session ends while the browser is still on its way back to
    the e-service with a code; the e-service must not open a session afterwards."""
    guangdong_with_iamsmart(services, resident)
    home = resident.open(f"{services.hk}/?lang=en")
    qr = at_iamsmart(resident, press(home, "login-iamsmart"))
    page = choose(resident, qr, "wong-wing-fung")
    on_the_way = consent(resident, page, "allow", stop_at=f"{services.hk}/oidc/callback")
    resident.open(f"{services.chain.guangdong}/logout")  # the same session ends meanwhile
    time.sleep(0.5)  # the notice reaches the e-service before the browser does
    back = resident.follow(on_the_way.response)
    assert data_page(back) != "profile"
    assert len(services.hk_sessions) == 0
    assert not hk_signed_in(services, resident)
