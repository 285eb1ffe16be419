"""POST /authorize (OIDC Core §3.1.2.1: the OP MUST support GET and POST), form-encoded,
with the same checks as GET: the error page for an unverified redirect_uri, errors sent
back to a verified one, and a whole sign-in."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx

from tests.flows.conftest import Chain
from tests.flows.steps import choose, location_query
from tests.support.browser import Page, Resident
from tests.support.rp import RelyingParty


def post(chain: Chain, form: dict[str, str] | str) -> httpx.Response:
    return httpx.post(
        f"{chain.bridge}/authorize",
        content=form if isinstance(form, str) else None,
        data=form if isinstance(form, dict) else None,
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "en"},
    )


def test_a_resident_signs_in_through_a_posted_authorization_request(chain: Chain) -> None:
    rp, resident = RelyingParty(chain.bridge), Resident()
    try:
        request = rp.authorization_request(idp_hint="iamsmart")
        qr = resident.follow(resident.http.post(f"{chain.bridge}/authorize", data=request.params))
        assert "/api/v1/auth/getQR" in qr.url, qr.url
        page = choose(resident, qr, "wong-wing-fung")
        back = resident.submit(page, button=("decision", "allow"), stop_at=rp.redirect_uri)
        query = location_query(back)
        assert query["state"] == request.state
        assert rp.redeem(query["code"], request.verifier).status_code == 200
    finally:
        resident.close()


def test_a_posted_request_with_an_unregistered_redirect_uri_gets_the_error_page(
    chain: Chain,
) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request(redirect_uri="https://attacker.test/cb")
    response = post(chain, request.params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "attacker.test" not in response.text


def test_a_posted_request_with_a_bad_scope_is_redirected_with_a_safe_error(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request(scope='openid "\u00e9')
    response = post(chain, request.params)
    assert response.status_code == 303
    query = {k: v[0] for k, v in parse_qs(urlsplit(response.headers["location"]).query).items()}
    assert query["error"] == "invalid_scope" and query["state"] == request.state


def test_a_posted_request_repeating_redirect_uri_is_not_redirected(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    body = urlsplit(rp.authorization_request().url).query
    response = post(chain, body + "&redirect_uri=https%3A%2F%2Fportal.test%2Fother")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_a_posted_request_that_is_not_a_form_gets_the_error_page(chain: Chain) -> None:
    response = httpx.post(f"{chain.bridge}/authorize", json={"client_id": "test-portal"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("text/html")


def test_bidi_and_control_characters_from_iamsmart_are_not_released(chain: Chain) -> None:
    persona = chain.iamsmart_state.personas["wong-wing-fung"]
    original = persona.profile
    hostile = {**original, "chNameVerified": "\u9ec3\u202e\u8a60\r\n\u5cef\u0007"}
    chain.iamsmart_state.personas["wong-wing-fung"] = persona.model_copy(
        update={"profile": hostile}
    )
    rp, resident = RelyingParty(chain.bridge), Resident()
    try:
        request = rp.authorization_request(idp_hint="iamsmart")
        qr: Page = resident.open(request.url)
        page = choose(resident, qr, "wong-wing-fung")
        back = resident.submit(page, button=("decision", "allow"), stop_at=rp.redirect_uri)
        tokens = rp.redeem(location_query(back)["code"], request.verifier).json()
        info = rp.userinfo(tokens["access_token"]).json()
    finally:
        chain.iamsmart_state.personas["wong-wing-fung"] = persona
        resident.close()
    assert info["name"] == "\u9ec3\u8a60  \u5cef"


def test_a_posted_request_over_the_form_cap_gets_a_413_page(chain: Chain) -> None:
    response = post(chain, {"client_id": "test-portal", "state": "s" * 20_000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "location" not in response.headers
