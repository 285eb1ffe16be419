"""The Hong Kong e-service as a relying party: every check it makes on the bridge's
answers, each a named test, against a fake OpenID Provider that hands it exactly the
response or ID token the test names (OIDC Core §3.1.3.7, RFC 7636, RFC 9207).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bridge.clock import ManualClock
from mock_idps.hk_eservice import create_app
from tests.mock_idps.hk_eservice_support import (
    START,
    Outcome,
    assert_refused,
    callback,
    make_config,
    sign_in,
    start,
)
from tests.mock_idps.hk_fake_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    SUBJECT,
    FakeProvider,
    new_key,
    s256,
)
from tests.support.forge import hs256, unsigned
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

# --- the authorization request and a good sign-in ------------------------------------


async def test_authorization_request_has_pkce_state_nonce_idp_hint_and_ui_locales(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_service: RunningServer
) -> None:
    request, _ = await start(hk_browser, fake_op, "guangdong", lang="zh-Hans")
    params = request.params
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == f"{hk_service.url}/oidc/callback"
    assert params["scope"] == "openid profile"
    assert params["idp_hint"] == "guangdong"
    assert params["ui_locales"] == "zh-Hans"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert "client_secret" not in params and "code_verifier" not in params
    other, _ = await start(hk_browser, fake_op, "iamsmart")
    assert other.params["idp_hint"] == "iamsmart"
    for name in ("state", "nonce", "code_challenge"):
        assert other.params[name] != params[name], f"{name} is fresh for every sign-in"


async def test_sign_in_redeems_with_basic_auth_and_the_pkce_verifier(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    outcome = await sign_in(hk_browser, fake_op)
    assert outcome.signed_in, outcome.response.text[:300]
    (token_request,) = fake_op.token_requests
    assert token_request["authorization"].startswith("Basic ")
    assert "client_secret" not in token_request, "client_secret_basic, not in the body"
    assert len(token_request["code_verifier"]) >= 43
    cookie = outcome.response.headers["set-cookie"]
    assert cookie.startswith("hk_session=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie

    profile = BeautifulSoup((await hk_browser.get("/profile")).text, "html.parser")
    assert profile.select_one("#profile-sub").get_text(strip=True) == SUBJECT
    assert profile.select_one("#profile-acr")["data-value"] == "L2"
    idp = profile.select_one("#profile-idp")
    assert (idp["data-value"], idp["data-source"]) == ("guangdong", "claim")
    assert "廣東省統一身份認證" in idp.get_text()
    row = profile.select_one("tr[data-claim='name#zh-Hans'] td")
    assert row.get_text(strip=True) == "李小明"


async def test_discovery_is_cached(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_clock: ManualClock
) -> None:
    await start(hk_browser, fake_op)
    await start(hk_browser, fake_op)
    assert fake_op.hits["/.well-known/openid-configuration"] == 1
    hk_clock.advance(301)
    await start(hk_browser, fake_op)
    assert fake_op.hits["/.well-known/openid-configuration"] == 2


# --- the ID token ---------------------------------------------------------------------


async def test_nonce_mismatch_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["nonce"] = "a-nonce-from-another-sign-in"
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_without_nonce_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["nonce"] = None
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_from_another_issuer_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["iss"] = "https://attacker.example"
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_for_another_audience_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["aud"] = "another-client"
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_expired_id_token_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["exp"] = int(START) - 120  # beyond the 60 s allowed for clock skew
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_issued_in_the_future_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["iat"] = int(START) + 3600
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_without_iat_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.claims["iat"] = None
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_with_a_bad_signature_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    impostor = new_key(kid=fake_op.key.kid)  # same kid, another private key

    def forged(claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "ES256", "kid": impostor.kid}, claims, impostor)

    fake_op.make_token = forged
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_unsigned_id_token_alg_none_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.algorithms = ["ES256", "none"]  # even when the provider claims to use it
    fake_op.make_token = lambda claims: unsigned(claims, kid=fake_op.key.kid)
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_id_token_hmac_signed_with_the_client_secret_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    """Algorithm confusion: an HS256 "signature" anyone holding the secret could make."""
    fake_op.algorithms = ["ES256", "HS256"]
    fake_op.make_token = lambda claims: hs256(claims, CLIENT_SECRET.encode(), kid=fake_op.key.kid)
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_algorithm_outside_the_allow_list_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    """ES384 is a sound algorithm, but not one the bridge signs with (ES256/RS256/EdDSA)."""
    key = ECKey.generate_key("P-384", parameters={"kid": "p384"})
    fake_op.published, fake_op.algorithms = [key], ["ES384"]
    fake_op.make_token = lambda claims: jwt.encode(
        {"alg": "ES384", "kid": "p384"}, claims, key, algorithms=["ES384"]
    )
    assert_refused(await sign_in(hk_browser, fake_op))


async def test_rs256_id_token_from_the_allow_list_is_accepted(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "rsa"})
    fake_op.published, fake_op.algorithms = [key], ["RS256"]
    fake_op.make_token = lambda claims: jwt.encode({"alg": "RS256", "kid": "rsa"}, claims, key)
    assert (await sign_in(hk_browser, fake_op)).signed_in


async def test_rotated_key_is_fetched_once_and_accepted(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    assert (await sign_in(hk_browser, fake_op)).signed_in
    fetched = fake_op.hits["/jwks.json"]
    fake_op.key = new_key(kid="k2")  # the provider rotated: a kid the e-service has not seen
    assert (await sign_in(hk_browser, fake_op)).signed_in
    assert fake_op.hits["/jwks.json"] == fetched + 1


async def test_unknown_kid_is_looked_up_once_then_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    assert (await sign_in(hk_browser, fake_op)).signed_in
    fetched = fake_op.hits["/jwks.json"]
    stranger = new_key(kid="unpublished")
    header = {"alg": "ES256", "kid": "unpublished"}
    fake_op.make_token = lambda claims: jwt.encode(header, claims, stranger)
    assert_refused(await sign_in(hk_browser, fake_op))
    assert fake_op.hits["/jwks.json"] == fetched + 1, "one refetch, no loop"


async def test_userinfo_about_another_resident_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.userinfo["sub"] = "someone-else"
    assert_refused(await sign_in(hk_browser, fake_op))


# --- state and the authorization response ---------------------------------------------


async def test_state_mismatch_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    _, code = await start(hk_browser, fake_op)
    outcome = await callback(hk_browser, code=code, state="not-the-state-sent", iss=fake_op.issuer)
    assert_refused(outcome, "expired")
    assert "/token" not in fake_op.hits


async def test_callback_without_state_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    _, code = await start(hk_browser, fake_op)
    assert_refused(await callback(hk_browser, code=code, iss=fake_op.issuer), "expired")


async def test_replayed_callback_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, code = await start(hk_browser, fake_op)
    assert (
        await callback(hk_browser, code=code, state=request.state, iss=fake_op.issuer)
    ).signed_in
    replayed = await callback(hk_browser, code=code, state=request.state, iss=fake_op.issuer)
    assert_refused(replayed, "expired")
    assert fake_op.hits["/token"] == 1, "the code is not sent again"


async def test_callback_in_another_browser_is_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_service: RunningServer
) -> None:
    """Login CSRF: a callback URL planted in a victim's browser does not sign them in."""
    request, code = await start(hk_browser, fake_op)
    async with httpx.AsyncClient(base_url=hk_service.url) as victim:
        response = await victim.get(
            "/oidc/callback", params={"code": code, "state": request.state, "iss": fake_op.issuer}
        )
    assert_refused(Outcome(response), "expired")


async def test_sign_in_expires(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider, hk_clock: ManualClock
) -> None:
    request, code = await start(hk_browser, fake_op)
    hk_clock.advance(601)
    outcome = await callback(hk_browser, code=code, state=request.state, iss=fake_op.issuer)
    assert_refused(outcome, "expired")


async def test_rfc9207_iss_mismatch_is_refused_before_the_code_is_redeemed(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, code = await start(hk_browser, fake_op)
    outcome = await callback(
        hk_browser, code=code, state=request.state, iss="https://mix-up.example"
    )
    assert_refused(outcome)
    assert "/token" not in fake_op.hits, "the code never reaches any token endpoint"


async def test_missing_iss_is_refused_when_the_provider_advertises_it(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, code = await start(hk_browser, fake_op)
    assert_refused(await callback(hk_browser, code=code, state=request.state))
    assert "/token" not in fake_op.hits


async def test_missing_iss_is_accepted_when_the_provider_does_not_advertise_it(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    fake_op.advertises_iss = False
    request, code = await start(hk_browser, fake_op)
    assert (await callback(hk_browser, code=code, state=request.state)).signed_in


async def test_repeated_response_parameters_are_refused(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, code = await start(hk_browser, fake_op)
    response = await hk_browser.get(
        "/oidc/callback",
        params=[
            ("code", code),
            ("code", "other"),
            ("state", request.state),
            ("iss", fake_op.issuer),
        ],
    )
    assert_refused(Outcome(response))


# --- the provider's own errors --------------------------------------------------------

ERRORS = [
    ("access_denied", "guangdong", "declined", 200, {
        "en": "You cancelled the sign-in or it was refused",
        "zh-Hant": "您已取消登入，或登入要求被拒絕",
        "zh-Hans": "您已取消登录，或登录请求被拒绝",
    }),
    ("unmet_authentication_requirements", "guangdong", "insufficient_assurance", 403, {
        "en": "Your Guangdong account is not verified enough for this service",
        "zh-Hant": "您的廣東帳戶身份認證級別不足以使用本服務",
        "zh-Hans": "您的广东账户实名认证级别不足以使用本服务",
    }),
    ("unmet_authentication_requirements", "iamsmart", "insufficient_assurance", 403, {
        "en": "Your account is not verified to the level this service needs",
        "zh-Hant": "您帳戶的身份認證級別未達本服務的要求",
        "zh-Hans": "您账户的身份认证级别未达到本服务的要求",
    }),
    ("temporarily_unavailable", "guangdong", "unavailable", 503, {
        "en": "temporarily unavailable",
        "zh-Hant": "登入服務暫時無法使用",
        "zh-Hans": "登录服务暂时无法使用",
    }),
    ("invalid_request", "iamsmart", "failed", 400, {
        "en": "could not be completed safely",
        "zh-Hant": "登入未能安全完成",
        "zh-Hans": "登录未能安全完成",
    }),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "zh-Hant", "zh-Hans"])
@pytest.mark.parametrize(("error", "idp", "kind", "status", "texts"), ERRORS)
async def test_provider_errors_are_pages_in_the_residents_language(
    hk_error_browser: httpx.AsyncClient,
    fake_op: FakeProvider,
    lang: str,
    error: str,
    idp: str,
    kind: str,
    status: int,
    texts: dict[str, str],
) -> None:
    request, _ = await start(hk_error_browser, fake_op, idp, lang=lang)
    hk_error_browser.cookies.delete("lang")  # the language must come from the sign-in itself
    outcome = await callback(
        hk_error_browser,
        error=error,
        error_description="Fixed text",
        state=request.state,
        iss=fake_op.issuer,
    )
    assert outcome.response.status_code == status
    page = outcome.html
    assert page.find("html")["lang"] == lang
    assert outcome.error == kind
    assert texts[lang] in page.select_one("#message").get_text()
    assert page.select_one("#bridge-error").get_text() == error
    assert page.select_one("#bridge-description").get_text() == "Fixed text"
    retry = page.select_one("#try-again")["href"]
    assert retry == f"/login/{idp}?lang={lang}"
    assert "/token" not in fake_op.hits


async def test_error_description_is_shown_as_text_only(
    hk_error_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, _ = await start(hk_error_browser, fake_op)
    outcome = await callback(
        hk_error_browser,
        error="access_denied",
        error_description='<script>alert("x")</script>' + "x" * 500,
        state=request.state,
        iss=fake_op.issuer,
    )
    assert "<script>" not in outcome.response.text
    description = outcome.html.select_one("#bridge-description").get_text()
    assert len(description) <= 200 and '"' not in description


async def test_unreachable_bridge_gives_a_page_not_a_500(hk_clock: ManualClock) -> None:
    sock = bind_loopback()
    config = make_config(url_of(sock), "http://127.0.0.1:9")  # the discard port
    with serving(create_app(config, clock=hk_clock.now), sock) as running:
        response = httpx.get(f"{running.url}/login/guangdong", params={"lang": "en"})
    assert response.status_code == 503
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("main")["data-error"] == "unavailable"
    assert page.select_one("#try-again")["href"] == "/login/guangdong?lang=en"


async def test_token_endpoint_refusal_is_a_page(
    hk_browser: httpx.AsyncClient, fake_op: FakeProvider
) -> None:
    request, _ = await start(hk_browser, fake_op)
    outcome = await callback(hk_browser, code="not-issued", state=request.state, iss=fake_op.issuer)
    assert_refused(outcome)


def test_fake_provider_checks_pkce_like_a_provider() -> None:
    """The fake's own PKCE check, which the sign-in tests above rely on."""
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
    )
