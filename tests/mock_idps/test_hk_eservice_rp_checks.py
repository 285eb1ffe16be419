"""The Hong Kong e-service as a relying party: every check it makes on the bridge's
answers, each a named test, against a fake OpenID Provider that hands it exactly the
response or ID token the test names (OIDC Core §3.1.3.7, RFC 7636, RFC 9207).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from joserfc import jwt
from joserfc.jwk import ECKey, RSAKey

from bridge.clock import ManualClock
from mock_idps.hk_eservice import create_app
from mock_idps.hk_eservice.config import HkEserviceConfig
from tests.mock_idps.hk_fake_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    SUBJECT,
    Authorization,
    FakeProvider,
    new_key,
    s256,
)
from tests.support.forge import hs256, unsigned
from tests.support.servers import RunningServer, bind_loopback, serving, url_of

START = 1_800_000_000.0


def make_config(public_url: str, issuer: str, **bridge: Any) -> HkEserviceConfig:
    return HkEserviceConfig.model_validate(
        {
            "public_url": public_url,
            "bridge": {
                "issuer": issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "scopes": "openid profile",
                **bridge,
            },
        }
    )


@pytest.fixture(scope="module")
def provider_server() -> Iterator[tuple[FakeProvider, RunningServer]]:
    sock = bind_loopback()
    provider = FakeProvider(clock=ManualClock(START), issuer=url_of(sock))
    with serving(provider, sock) as running:
        yield provider, running


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def op(provider_server: tuple[FakeProvider, RunningServer], clock: ManualClock) -> FakeProvider:
    provider = provider_server[0]
    provider.reset()
    provider.clock = clock
    return provider


@pytest.fixture
def service(op: FakeProvider, clock: ManualClock) -> Iterator[RunningServer]:
    sock = bind_loopback()
    app = create_app(make_config(url_of(sock), op.issuer), clock=clock.now)
    with serving(app, sock) as running:
        yield running


@pytest.fixture
async def browser(service: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=service.url, follow_redirects=False) as http:
        yield http


@pytest.fixture(scope="module")
def shared_service(
    provider_server: tuple[FakeProvider, RunningServer],
) -> Iterator[RunningServer]:
    """One e-service for the tests that never reach the token endpoint (error pages)."""
    sock = bind_loopback()
    config = make_config(url_of(sock), provider_server[0].issuer)
    with serving(create_app(config, clock=ManualClock(START).now), sock) as running:
        yield running


@pytest.fixture
async def error_browser(
    shared_service: RunningServer, op: FakeProvider
) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=shared_service.url, follow_redirects=False) as http:
        yield http


@dataclass
class Outcome:
    response: httpx.Response

    @property
    def html(self) -> Any:
        return BeautifulSoup(self.response.text, "html.parser")

    @property
    def error(self) -> str | None:
        main = self.html.find("main")
        return main.get("data-error") if main else None

    @property
    def signed_in(self) -> bool:
        return self.response.status_code == 303 and self.response.headers["location"] == "/profile"


async def start(
    browser: httpx.AsyncClient, op: FakeProvider, idp: str = "guangdong", **params: str
) -> tuple[Authorization, str]:
    response = await browser.get(f"/login/{idp}", params=params)
    assert response.status_code == 302, response.text[:300]
    return op.authorize(response.headers["location"])


async def callback(browser: httpx.AsyncClient, **params: str | None) -> Outcome:
    present = {name: value for name, value in params.items() if value is not None}
    return Outcome(await browser.get("/oidc/callback", params=present))


async def sign_in(browser: httpx.AsyncClient, op: FakeProvider) -> Outcome:
    """The whole round trip, with whatever the provider was told to answer."""
    request, code = await start(browser, op)
    return await callback(browser, code=code, state=request.state, iss=op.issuer)


def assert_refused(outcome: Outcome, kind: str = "failed") -> None:
    assert not outcome.signed_in, "the e-service accepted what it must refuse"
    assert outcome.response.status_code == 400, outcome.response.text[:300]
    assert outcome.error == kind
    assert "hk_session" not in outcome.response.headers.get("set-cookie", "")


# --- the authorization request and a good sign-in ------------------------------------


async def test_authorization_request_has_pkce_state_nonce_idp_hint_and_ui_locales(
    browser: httpx.AsyncClient, op: FakeProvider, service: RunningServer
) -> None:
    request, _ = await start(browser, op, "guangdong", lang="zh-Hans")
    params = request.params
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == f"{service.url}/oidc/callback"
    assert params["scope"] == "openid profile"
    assert params["idp_hint"] == "guangdong"
    assert params["ui_locales"] == "zh-Hans"
    assert params["code_challenge_method"] == "S256"
    assert len(params["state"]) >= 32 and len(params["nonce"]) >= 32
    assert "client_secret" not in params and "code_verifier" not in params
    other, _ = await start(browser, op, "iamsmart")
    assert other.params["idp_hint"] == "iamsmart"
    for name in ("state", "nonce", "code_challenge"):
        assert other.params[name] != params[name], f"{name} is fresh for every sign-in"


async def test_sign_in_redeems_with_basic_auth_and_the_pkce_verifier(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    outcome = await sign_in(browser, op)
    assert outcome.signed_in, outcome.response.text[:300]
    (token_request,) = op.token_requests
    assert token_request["authorization"].startswith("Basic ")
    assert "client_secret" not in token_request, "client_secret_basic, not in the body"
    assert len(token_request["code_verifier"]) >= 43
    cookie = outcome.response.headers["set-cookie"]
    assert cookie.startswith("hk_session=") and "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower() and "Secure" not in cookie

    profile = BeautifulSoup((await browser.get("/profile")).text, "html.parser")
    assert profile.select_one("#profile-sub").get_text(strip=True) == SUBJECT
    assert profile.select_one("#profile-acr")["data-value"] == "L2"
    idp = profile.select_one("#profile-idp")
    assert (idp["data-value"], idp["data-source"]) == ("guangdong", "claim")
    assert "廣東省統一身份認證" in idp.get_text()
    row = profile.select_one("tr[data-claim='name#zh-Hans'] td")
    assert row.get_text(strip=True) == "李小明"


async def test_discovery_is_cached(
    browser: httpx.AsyncClient, op: FakeProvider, clock: ManualClock
) -> None:
    await start(browser, op)
    await start(browser, op)
    assert op.hits["/.well-known/openid-configuration"] == 1
    clock.advance(301)
    await start(browser, op)
    assert op.hits["/.well-known/openid-configuration"] == 2


# --- the ID token ---------------------------------------------------------------------


async def test_nonce_mismatch_is_refused(browser: httpx.AsyncClient, op: FakeProvider) -> None:
    op.claims["nonce"] = "a-nonce-from-another-sign-in"
    assert_refused(await sign_in(browser, op))


async def test_id_token_without_nonce_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.claims["nonce"] = None
    assert_refused(await sign_in(browser, op))


async def test_id_token_from_another_issuer_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.claims["iss"] = "https://attacker.example"
    assert_refused(await sign_in(browser, op))


async def test_id_token_for_another_audience_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.claims["aud"] = "another-client"
    assert_refused(await sign_in(browser, op))


async def test_expired_id_token_is_refused(browser: httpx.AsyncClient, op: FakeProvider) -> None:
    op.claims["exp"] = int(START) - 120  # beyond the 60 s allowed for clock skew
    assert_refused(await sign_in(browser, op))


async def test_id_token_issued_in_the_future_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.claims["iat"] = int(START) + 3600
    assert_refused(await sign_in(browser, op))


async def test_id_token_without_iat_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.claims["iat"] = None
    assert_refused(await sign_in(browser, op))


async def test_id_token_with_a_bad_signature_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    impostor = new_key(kid=op.key.kid)  # same kid, another private key

    def forged(claims: dict[str, Any]) -> str:
        return jwt.encode({"alg": "ES256", "kid": impostor.kid}, claims, impostor)

    op.make_token = forged
    assert_refused(await sign_in(browser, op))


async def test_unsigned_id_token_alg_none_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.algorithms = ["ES256", "none"]  # even when the provider claims to use it
    op.make_token = lambda claims: unsigned(claims, kid=op.key.kid)
    assert_refused(await sign_in(browser, op))


async def test_id_token_hmac_signed_with_the_client_secret_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    """Algorithm confusion: an HS256 "signature" anyone holding the secret could make."""
    op.algorithms = ["ES256", "HS256"]
    op.make_token = lambda claims: hs256(claims, CLIENT_SECRET.encode(), kid=op.key.kid)
    assert_refused(await sign_in(browser, op))


async def test_algorithm_outside_the_allow_list_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    """ES384 is a sound algorithm, but not one the bridge signs with (ES256/RS256/EdDSA)."""
    key = ECKey.generate_key("P-384", parameters={"kid": "p384"})
    op.published, op.algorithms = [key], ["ES384"]
    op.make_token = lambda claims: jwt.encode(
        {"alg": "ES384", "kid": "p384"}, claims, key, algorithms=["ES384"]
    )
    assert_refused(await sign_in(browser, op))


async def test_rs256_id_token_from_the_allow_list_is_accepted(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    key = RSAKey.generate_key(2048, parameters={"kid": "rsa"})
    op.published, op.algorithms = [key], ["RS256"]
    op.make_token = lambda claims: jwt.encode({"alg": "RS256", "kid": "rsa"}, claims, key)
    assert (await sign_in(browser, op)).signed_in


async def test_rotated_key_is_fetched_once_and_accepted(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    assert (await sign_in(browser, op)).signed_in
    fetched = op.hits["/jwks.json"]
    op.key = new_key(kid="k2")  # the provider rotated: a kid the e-service has not seen
    assert (await sign_in(browser, op)).signed_in
    assert op.hits["/jwks.json"] == fetched + 1


async def test_unknown_kid_is_looked_up_once_then_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    assert (await sign_in(browser, op)).signed_in
    fetched = op.hits["/jwks.json"]
    stranger = new_key(kid="unpublished")
    header = {"alg": "ES256", "kid": "unpublished"}
    op.make_token = lambda claims: jwt.encode(header, claims, stranger)
    assert_refused(await sign_in(browser, op))
    assert op.hits["/jwks.json"] == fetched + 1, "one refetch, no loop"


async def test_userinfo_about_another_resident_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.userinfo["sub"] = "someone-else"
    assert_refused(await sign_in(browser, op))


# --- state and the authorization response ---------------------------------------------


async def test_state_mismatch_is_refused(browser: httpx.AsyncClient, op: FakeProvider) -> None:
    _, code = await start(browser, op)
    outcome = await callback(browser, code=code, state="not-the-state-sent", iss=op.issuer)
    assert_refused(outcome, "expired")
    assert "/token" not in op.hits


async def test_callback_without_state_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    _, code = await start(browser, op)
    assert_refused(await callback(browser, code=code, iss=op.issuer), "expired")


async def test_replayed_callback_is_refused(browser: httpx.AsyncClient, op: FakeProvider) -> None:
    request, code = await start(browser, op)
    assert (await callback(browser, code=code, state=request.state, iss=op.issuer)).signed_in
    replayed = await callback(browser, code=code, state=request.state, iss=op.issuer)
    assert_refused(replayed, "expired")
    assert op.hits["/token"] == 1, "the code is not sent again"


async def test_callback_in_another_browser_is_refused(
    browser: httpx.AsyncClient, op: FakeProvider, service: RunningServer
) -> None:
    """Login CSRF: a callback URL planted in a victim's browser does not sign them in."""
    request, code = await start(browser, op)
    async with httpx.AsyncClient(base_url=service.url) as victim:
        response = await victim.get(
            "/oidc/callback", params={"code": code, "state": request.state, "iss": op.issuer}
        )
    assert_refused(Outcome(response), "expired")


async def test_sign_in_expires(
    browser: httpx.AsyncClient, op: FakeProvider, clock: ManualClock
) -> None:
    request, code = await start(browser, op)
    clock.advance(601)
    outcome = await callback(browser, code=code, state=request.state, iss=op.issuer)
    assert_refused(outcome, "expired")


async def test_rfc9207_iss_mismatch_is_refused_before_the_code_is_redeemed(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    request, code = await start(browser, op)
    outcome = await callback(browser, code=code, state=request.state, iss="https://mix-up.example")
    assert_refused(outcome)
    assert "/token" not in op.hits, "the code never reaches any token endpoint"


async def test_missing_iss_is_refused_when_the_provider_advertises_it(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    request, code = await start(browser, op)
    assert_refused(await callback(browser, code=code, state=request.state))
    assert "/token" not in op.hits


async def test_missing_iss_is_accepted_when_the_provider_does_not_advertise_it(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    op.advertises_iss = False
    request, code = await start(browser, op)
    assert (await callback(browser, code=code, state=request.state)).signed_in


async def test_repeated_response_parameters_are_refused(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    request, code = await start(browser, op)
    response = await browser.get(
        "/oidc/callback",
        params=[("code", code), ("code", "other"), ("state", request.state), ("iss", op.issuer)],
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
    error_browser: httpx.AsyncClient,
    op: FakeProvider,
    lang: str,
    error: str,
    idp: str,
    kind: str,
    status: int,
    texts: dict[str, str],
) -> None:
    request, _ = await start(error_browser, op, idp, lang=lang)
    error_browser.cookies.delete("lang")  # the language must come from the sign-in itself
    outcome = await callback(
        error_browser,
        error=error,
        error_description="Fixed text",
        state=request.state,
        iss=op.issuer,
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
    assert "/token" not in op.hits


async def test_error_description_is_shown_as_text_only(
    error_browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    request, _ = await start(error_browser, op)
    outcome = await callback(
        error_browser,
        error="access_denied",
        error_description='<script>alert("x")</script>' + "x" * 500,
        state=request.state,
        iss=op.issuer,
    )
    assert "<script>" not in outcome.response.text
    description = outcome.html.select_one("#bridge-description").get_text()
    assert len(description) <= 200 and '"' not in description


async def test_unreachable_bridge_gives_a_page_not_a_500(clock: ManualClock) -> None:
    sock = bind_loopback()
    config = make_config(url_of(sock), "http://127.0.0.1:9")  # the discard port
    with serving(create_app(config, clock=clock.now), sock) as running:
        response = httpx.get(f"{running.url}/login/guangdong", params={"lang": "en"})
    assert response.status_code == 503
    page = BeautifulSoup(response.text, "html.parser")
    assert page.find("main")["data-error"] == "unavailable"
    assert page.select_one("#try-again")["href"] == "/login/guangdong?lang=en"


async def test_token_endpoint_refusal_is_a_page(
    browser: httpx.AsyncClient, op: FakeProvider
) -> None:
    request, _ = await start(browser, op)
    outcome = await callback(browser, code="not-issued", state=request.state, iss=op.issuer)
    assert_refused(outcome)


def test_fake_provider_checks_pkce_like_a_provider() -> None:
    """The fake's own PKCE check, which the sign-in tests above rely on."""
    assert s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == (
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 Appendix B
    )
