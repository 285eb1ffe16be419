"""The second direction, end to end over real HTTP: a Mainland resident signs in to a
Hong Kong e-service with their Guangdong identity (the mock platform's own login), the
bridge maps the platform's `userobj` to Hong Kong claims and asks for PIPL's separate
consent; and the same service, through the same bridge, takes iAM Smart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from bs4 import Tag

from bridge.provider.subject import pairwise_subject
from tests.flows.conftest import Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Page, Resident
from tests.support.rp import AuthorizationRequest, RelyingParty
from tests.support.servers import bind_loopback, url_of

CLIENT_REDIRECT = "http://127.0.0.1:8003/oidc/callback"
PAIRWISE_SALT = "dev-only-pairwise-salt-CHANGE-ME"
CHEN = "48e6cc80da711af28b1ae849b274ffb8"  # chen-fa-ming's useridcode
LIANG = "16ef305a1e4df9cc83aa2b06c7f045d8"  # liang-zhi-wei


@pytest.fixture(scope="module")
def gd_chain(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Chain]:
    with running_chain(tmp_path_factory.mktemp("gd"), redis_url) as chain:
        yield chain


@pytest.fixture
def hk_rp(gd_chain: Chain) -> RelyingParty:
    return RelyingParty(
        gd_chain.bridge,
        client_id="hk-eservice-dev",
        secret="dev-only-hk-eservice-secret-CHANGE-ME",
        redirect_uri=CLIENT_REDIRECT,
    )


def at_guangdong(resident: Resident, url: str) -> Page:
    page = resident.open(url)
    assert page.status == 200, page.text[:300]
    assert "/tif/sso/connect/page/oauth2/authorize" in page.url, page.url
    return page


def persona_form(page: Page, persona: str) -> Tag:
    form = page.html.select_one(f'#login-platform form[data-persona="{persona}"]')
    assert form is not None, f"no login form for {persona} on {page.url}"
    return form


def sign_in_at_guangdong(
    resident: Resident, page: Page, persona: str, action: str = "sign_in"
) -> Page:
    return resident.submit(
        page,
        form=persona_form(page, persona),
        button=("action", action),
        stop_at=CLIENT_REDIRECT,
    )


def redeem(rp: RelyingParty, request: AuthorizationRequest, stopped: Page) -> dict[str, Any]:
    response = location_query(stopped)
    assert "code" in response, response
    tokens = rp.redeem(response["code"], request.verifier)
    assert tokens.status_code == 200, tokens.text
    body: dict[str, Any] = tokens.json()
    return body


def id_token_claims(chain: Chain, tokens: dict[str, Any]) -> dict[str, Any]:
    keys = jwt.PyJWKClient(f"{chain.bridge}/jwks.json")
    key = keys.get_signing_key_from_jwt(tokens["id_token"])
    claims: dict[str, Any] = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=["ES256", "RS256", "EdDSA"],
        audience="hk-eservice-dev",
        issuer=chain.bridge,
        options={"verify_exp": False, "verify_iat": False},
    )
    return claims


@pytest.mark.parametrize(
    ("persona", "useridcode", "acr", "names"),
    [
        ("chen-fa-ming", CHEN, "L2", ("陳發明", "陈发明")),
        ("liang-zhi-wei", LIANG, "L3", ("梁志偉", "梁志伟")),
    ],
)
def test_a_mainland_resident_signs_in_and_the_service_gets_hong_kong_claims(
    gd_chain: Chain,
    hk_rp: RelyingParty,
    persona: str,
    useridcode: str,
    acr: str,
    names: tuple[str, str],
) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    login = at_guangdong(resident, request.url)
    page = sign_in_at_guangdong(resident, login, persona)
    assert "/consent/" in page.url, page.url
    stopped = consent(resident, page, "allow", stop_at=CLIENT_REDIRECT)
    tokens = redeem(hk_rp, request, stopped)
    claims = id_token_claims(gd_chain, tokens)
    expected_sub = pairwise_subject(
        PAIRWISE_SALT, sector="hk-eservice-dev", idp="guangdong", upstream_subject=useridcode
    )
    assert claims["sub"] == expected_sub
    assert claims["acr"] == acr
    assert claims["nonce"] == request.nonce
    info = hk_rp.userinfo(tokens["access_token"]).json()
    traditional, simplified = names
    assert info == {
        "sub": expected_sub,
        "name": traditional,
        "name#zh-Hant": traditional,
        "name#zh-Hans": simplified,
    }, "the names only, as the client's policy allows: nothing else leaves the Mainland"
    resident.close()


def test_prompt_login_makes_the_platform_ask_again_despite_its_session(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    """OIDC Core §3.1.2.1: `prompt=login` is a fresh authentication. The platform's own
    session would otherwise answer a second authorize at once (its SSO)."""
    resident = Resident()
    first = hk_rp.authorization_request(idp_hint="guangdong")
    page = sign_in_at_guangdong(resident, at_guangdong(resident, first.url), "chen-fa-ming")
    consent(resident, page, "allow", stop_at=CLIENT_REDIRECT)
    again = resident.open(hk_rp.authorization_request(idp_hint="guangdong").url)
    assert "/consent/" in again.url, "without prompt=login the platform's session answers"
    forced = hk_rp.authorization_request(idp_hint="guangdong", prompt="login")
    login = at_guangdong(resident, forced.url)
    stopped = consent(
        resident,
        sign_in_at_guangdong(resident, login, "chen-fa-ming"),
        "allow",
        stop_at=CLIENT_REDIRECT,
    )
    assert "code" in location_query(stopped)
    resident.close()


@pytest.mark.parametrize(("persona", "acr"), [("lin-xiao-yan", "L1"), ("he-jia-yi", "L0")])
def test_an_account_below_the_services_level_is_refused_before_any_consent(
    gd_chain: Chain, hk_rp: RelyingParty, persona: str, acr: str
) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    stopped = sign_in_at_guangdong(resident, at_guangdong(resident, request.url), persona)
    response = location_query(stopped)
    assert response["error"] == "unmet_authentication_requirements"
    assert "L2" in response["error_description"]
    assert response["state"] == request.state
    assert response["iss"] == gd_chain.bridge
    resident.close()


def test_cancelling_at_guangdong_reaches_the_service_as_access_denied(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    stopped = sign_in_at_guangdong(
        resident, at_guangdong(resident, request.url), "chen-fa-ming", action="cancel"
    )
    response = location_query(stopped)
    assert response["error"] == "access_denied"
    assert response["error_description"] == (
        "The resident cancelled sign-in at Guangdong Unified Identity Authentication"
    )
    assert response["state"] == request.state
    resident.close()


def test_denying_the_separate_consent_reaches_the_service_as_access_denied(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    page = sign_in_at_guangdong(resident, at_guangdong(resident, request.url), "chen-fa-ming")
    stopped = consent(resident, page, "deny", stop_at=CLIENT_REDIRECT)
    assert location_query(stopped)["error"] == "access_denied"
    resident.close()


def test_the_consent_page_is_pipl_separate_consent_in_simplified_chinese_first(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident(accept_language="")  # no preference: the direction's own language
    request = hk_rp.authorization_request(idp_hint="guangdong")
    page = sign_in_at_guangdong(resident, at_guangdong(resident, request.url), "chen-fa-ming")
    html = page.html
    assert html.find("html")["lang"] == "zh-Hans-CN"
    assert html.find("h1").get_text().startswith("单独同意")
    direction = html.select_one("#consent-direction").get_text()
    assert "广东省（内地）" in direction and "香港特别行政区" in direction
    assert html.select_one("#consent-contact").get_text() == "privacy@hk-eservice.test"
    assert html.select_one("#consent-processing").get_text() == "登录会话"
    assert "privacy@hk-eservice.test" in html.select_one("#consent-rights").get_text()
    claims = [row["data-claim"] for row in html.select("tr[data-claim]")]
    assert claims == ["name", "name#zh-Hant", "name#zh-Hans"]
    switcher = [a["lang"] for a in html.select("header nav a")]
    assert switcher[0] == "zh-Hans", "Simplified Chinese first in the language switcher"
    english = resident.open(f"{page.url}?lang=en")
    assert english.html.find("h1").get_text().startswith("Separate consent")
    resident.close()


def test_a_replayed_guangdong_callback_is_refused(gd_chain: Chain, hk_rp: RelyingParty) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    login = at_guangdong(resident, request.url)
    at_callback = resident.submit(
        login,
        form=persona_form(login, "chen-fa-ming"),
        button=("action", "sign_in"),
        stop_at=f"{gd_chain.bridge}/callback/guangdong",
    )
    callback = at_callback.response.headers["location"]
    assert "/consent/" in resident.open(callback).url
    again = resident.open(callback)
    assert again.status == 400, "the upstream round trip is single use"
    assert again.hops == []
    resident.close()


def test_a_guangdong_code_spent_elsewhere_is_refused_by_the_platform(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    """The tif code of one sign-in, presented with the state of another: the bridge
    redeems it at the platform, which has already spent it (single use)."""
    resident = Resident()
    first = hk_rp.authorization_request(idp_hint="guangdong")
    login = at_guangdong(resident, first.url)
    at_callback = resident.submit(
        login,
        form=persona_form(login, "chen-fa-ming"),
        button=("action", "sign_in"),
        stop_at=f"{gd_chain.bridge}/callback/guangdong",
    )
    spent_code = httpx.URL(at_callback.response.headers["location"]).params["code"]
    resident.open(at_callback.response.headers["location"])  # the platform spends it here
    second = hk_rp.authorization_request(idp_hint="guangdong")
    at_login = resident.step("GET", second.url)
    state = httpx.URL(at_login.headers["location"]).params["state"]
    replay = resident.open(
        f"{gd_chain.bridge}/callback/guangdong?code={spent_code}&state={state}",
        stop_at=CLIENT_REDIRECT,
    )
    response = location_query(replay)
    assert response["error"] == "access_denied"
    assert "expired" in response["error_description"]
    resident.close()


def test_without_a_hint_the_resident_chooses_the_identity_provider(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident(accept_language="zh-HK")
    request = hk_rp.authorization_request()
    chooser = resident.open(request.url)
    assert chooser.status == 200
    options = {a["id"]: a.get_text(strip=True) for a in chooser.html.select("ul.choices a")}
    assert options == {"choose-guangdong": "廣東省統一身份認證", "choose-iamsmart": "智方便"}
    to_guangdong = chooser.html.select_one("#choose-guangdong")["href"]
    assert "idp_hint=guangdong" in to_guangdong
    at_guangdong(resident, f"{gd_chain.bridge}{to_guangdong}")
    resident.close()


def test_an_unknown_hint_shows_the_chooser_rather_than_guessing(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident()
    page = resident.open(hk_rp.authorization_request(idp_hint="elsewhere").url)
    assert page.status == 200 and page.html.select_one("#choose-iamsmart") is not None
    assert "idp_hint=elsewhere" not in page.html.select_one("#choose-iamsmart")["href"]
    resident.close()


def test_a_hong_kong_resident_uses_the_same_service_with_iamsmart(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="iamsmart")
    qr = at_iamsmart(resident, request.url)
    page = choose(resident, qr, "wong-wing-fung")
    stopped = consent(resident, page, "allow", stop_at=CLIENT_REDIRECT)
    tokens = redeem(hk_rp, request, stopped)
    info = hk_rp.userinfo(tokens["access_token"]).json()
    assert info["name#zh-Hant"] == "黃詠峯" and info["name#en"] == "WONG, Wing Fung"
    assert id_token_claims(gd_chain, tokens)["acr"] == "L2"
    resident.close()


def _closed_port() -> str:
    sock = bind_loopback()
    url = url_of(sock)
    sock.close()
    return url


def test_guangdong_unreachable_is_temporarily_unavailable(tmp_path: Path, redis_url: str) -> None:
    with running_chain(
        tmp_path, redis_url, bridge_env={"GUANGDONG_API_URL": _closed_port()}
    ) as chain:
        rp = RelyingParty(
            chain.bridge,
            client_id="hk-eservice-dev",
            secret="dev-only-hk-eservice-secret-CHANGE-ME",
            redirect_uri=CLIENT_REDIRECT,
        )
        resident = Resident()
        request = rp.authorization_request(idp_hint="guangdong")
        stopped = sign_in_at_guangdong(
            resident, at_guangdong(resident, request.url), "chen-fa-ming"
        )
        response = location_query(stopped)
        assert response["error"] == "temporarily_unavailable"
        assert response["state"] == request.state
        resident.close()


def test_a_slow_guangdong_times_out_without_hanging_the_resident(
    tmp_path: Path, redis_url: str
) -> None:
    """A platform that accepts connections and never answers: the bridge gives up after
    its timeout and the service hears temporarily_unavailable."""
    silent = bind_loopback()
    silent.listen(8)
    try:
        with running_chain(
            tmp_path,
            redis_url,
            bridge_env={"GUANGDONG_API_URL": url_of(silent), "GUANGDONG_TIMEOUT_SECONDS": "1"},
        ) as chain:
            rp = RelyingParty(
                chain.bridge,
                client_id="hk-eservice-dev",
                secret="dev-only-hk-eservice-secret-CHANGE-ME",
                redirect_uri=CLIENT_REDIRECT,
            )
            resident = Resident()
            request = rp.authorization_request(idp_hint="guangdong")
            login = at_guangdong(resident, request.url)
            started = time.monotonic()
            stopped = sign_in_at_guangdong(resident, login, "chen-fa-ming")
            elapsed = time.monotonic() - started
            assert location_query(stopped)["error"] == "temporarily_unavailable"
            assert elapsed < 5, f"the resident waited {elapsed:.1f} s"
            resident.close()
    finally:
        silent.close()


def test_a_mainland_resident_reviews_and_withdraws_consent_with_their_guangdong_identity(
    gd_chain: Chain, hk_rp: RelyingParty
) -> None:
    """The resident's own consents page works with either identity provider: remembered
    through Guangdong, it is found again by signing in at Guangdong."""
    resident = Resident()
    request = hk_rp.authorization_request(idp_hint="guangdong")
    page = sign_in_at_guangdong(resident, at_guangdong(resident, request.url), "liang-zhi-wei")
    resident.submit(
        page, button=("decision", "allow"), fields={"remember": "yes"}, stop_at=CLIENT_REDIRECT
    )
    resident.close()
    resident = Resident()  # later, on another device: no platform session there
    landing = resident.open(f"{gd_chain.bridge}/consents?lang=en")
    button = landing.html.select_one("#consents-sign-in-guangdong")
    assert button is not None, landing.text[:300]
    login = at_guangdong(resident, f"{gd_chain.bridge}{button['href']}")
    listing = resident.submit(
        login, form=persona_form(login, "liang-zhi-wei"), button=("action", "sign_in")
    )
    assert listing.url.startswith(f"{gd_chain.bridge}/consents"), listing.url
    form = listing.html.select_one("form[action='/consents/withdraw']")
    assert form is not None and "Hong Kong Government e-Service" in listing.text
    withdrawn = resident.submit(listing, form=form)
    assert "withdrawn" in withdrawn.url or "withdrawn" in withdrawn.text.lower()
    again = hk_rp.authorization_request(idp_hint="guangdong")
    asked = resident.open(again.url)  # the platform's session signs the resident in at once
    assert "/consent/" in asked.url, "after withdrawal the service must ask again"
    resident.close()
