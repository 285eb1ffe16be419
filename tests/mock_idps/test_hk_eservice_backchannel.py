"""The Hong Kong e-service as a back-channel logout receiver (OIDC Back-Channel Logout
1.0 §2.6-2.8), against the fake provider, whose key signs both the ID tokens and the
logout tokens: ending the session named by `sid`, and the logout/redirect race (a notice
that arrives before the browser brings the code back leaves no session)."""

from __future__ import annotations

from typing import Any

import httpx
from joserfc import jwt

from tests.mock_idps.hk_eservice_support import START, callback, sign_in, start
from tests.mock_idps.hk_fake_provider import CLIENT_ID, SUBJECT, FakeProvider

EVENT = "http://schemas.openid.net/event/backchannel-logout"


def logout_token(op: FakeProvider, sid: str, jti: str = "j1") -> str:
    claims: dict[str, Any] = {
        "iss": op.issuer,
        "aud": CLIENT_ID,
        "iat": int(START),
        "exp": int(START) + 120,
        "jti": jti,
        "sid": sid,
        "sub": SUBJECT,
        "events": {EVENT: {}},
    }
    header = {"alg": "ES256", "kid": op.key.kid, "typ": "logout+jwt"}
    return jwt.encode(header, claims, op.key)


async def notify(browser: httpx.AsyncClient, token: str) -> int:
    response = await browser.post("/backchannel-logout", data={"logout_token": token})
    assert response.headers["cache-control"] == "no-store"
    return response.status_code


async def test_a_notice_for_the_sessions_sid_ends_it(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims = {"sid": "sid-1"}
    outcome = await sign_in(hk_browser, fake_op)
    assert outcome.signed_in
    hk_browser.cookies.set("hk_session", _session_cookie(outcome))
    assert (await hk_browser.get("/profile")).status_code == 200
    assert await notify(hk_browser, logout_token(fake_op, "sid-other")) == 200
    assert (await hk_browser.get("/profile")).status_code == 200, "another sid ends nothing"
    assert await notify(hk_browser, logout_token(fake_op, "sid-1", jti="j2")) == 200
    gone = await hk_browser.get("/profile")
    assert gone.status_code == 303 and gone.headers["location"] == "/"


async def test_a_notice_before_the_code_comes_back_leaves_no_session(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims = {"sid": "sid-race"}
    request, code = await start(hk_browser, fake_op)  # the browser is at the provider
    assert await notify(hk_browser, logout_token(fake_op, "sid-race")) == 200
    outcome = await callback(hk_browser, code=code, state=request.state, iss=fake_op.issuer)
    assert not outcome.signed_in, "a session the provider already ended must not open"
    assert "hk_session" not in outcome.response.headers.get("set-cookie", "")


async def test_a_token_the_provider_did_not_sign_is_400(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    from joserfc.jwk import ECKey

    forged = jwt.encode(
        {"alg": "ES256", "kid": fake_op.key.kid, "typ": "logout+jwt"},
        {
            "iss": fake_op.issuer,
            "aud": CLIENT_ID,
            "iat": int(START),
            "exp": int(START) + 60,
            "jti": "f",
            "sid": "s",
            "events": {EVENT: {}},
        },
        ECKey.generate_key("P-256"),
    )
    assert await notify(hk_browser, forged) == 400
    assert await notify(hk_browser, "") == 400


def _session_cookie(outcome: Any) -> str:
    cookie = outcome.response.headers["set-cookie"]
    return cookie.split("hk_session=", 1)[1].split(";", 1)[0]
