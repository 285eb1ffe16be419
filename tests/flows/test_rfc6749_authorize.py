"""Checks on the authorization request (RFC 6749 §4.1.2.1, RFC 7636 §4.4.1,
OIDC Core §3.1.2.6): before the client and redirect URI are verified nothing is
redirected; after, errors return to the client with state and iss."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.flows.conftest import Chain
from tests.support.rp import RelyingParty


@pytest.fixture
def chain(module_chain: Chain) -> Chain:
    """The module's one chain: these tests only read, each with its own browser."""
    return module_chain


def get(url: str) -> httpx.Response:
    return httpx.get(url, follow_redirects=False, headers={"Accept-Language": "en"})


def redirected_error(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text[:200]
    location = response.headers["location"]
    assert location.startswith("https://portal.test/callback?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_unregistered_redirect_uri_gets_an_error_page_and_no_redirect(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    response = get(rp.authorization_request(redirect_uri="https://attacker.test/cb").url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "attacker.test" not in response.text
    assert "not registered" in response.text


def test_redirect_uri_matching_only_by_prefix_is_refused(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    response = get(rp.authorization_request(redirect_uri="https://portal.test/callback/x").url)
    assert response.status_code == 400
    assert "location" not in response.headers


def test_unknown_client_gets_an_error_page(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge, client_id="nobody")
    response = get(rp.authorization_request().url)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert "not registered with the identity bridge" in response.text


def test_repeated_redirect_uri_is_not_redirected(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    url = rp.authorization_request().url + "&redirect_uri=https%3A%2F%2Fportal.test%2Fother"
    response = get(url)
    assert response.status_code == 400
    assert "location" not in response.headers


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": "openid unknown"}, "invalid_scope"),
        ({"prompt": "none"}, "login_required"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://portal.test/req"}, "request_uri_not_supported"),
        ({"response_mode": "fragment"}, "invalid_request"),
    ],
)
def test_invalid_request_is_returned_to_the_client_with_state_and_iss(
    chain: Chain, overrides: dict[str, str | None], error: str
) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request(**overrides)
    response = redirected_error(get(request.url))
    assert response["error"] == error
    assert response["state"] == request.state
    assert response["iss"] == chain.bridge


def test_scope_not_allowed_for_the_client_is_invalid_scope(chain: Chain) -> None:
    rp = RelyingParty(
        chain.bridge, "test-other", "test-other-secret", "https://other.test/callback"
    )
    request = rp.authorization_request(scope="openid email")
    response = get(request.url)
    assert response.status_code == 302
    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert response.headers["location"].startswith("https://other.test/callback?")
    assert query["error"] == ["invalid_scope"]


def test_repeated_parameter_is_invalid_request(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    request = rp.authorization_request()
    response = redirected_error(get(request.url + "&nonce=second"))
    assert response["error"] == "invalid_request"
    assert "repeated" in response["error_description"]


def test_oversized_parameter_is_invalid_request(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    response = redirected_error(get(rp.authorization_request(nonce="n" * 5000).url))
    assert response["error"] == "invalid_request"


def test_valid_request_goes_to_iamsmart_with_its_own_parameters(chain: Chain) -> None:
    rp = RelyingParty(chain.bridge)
    response = get(rp.authorization_request(ui_locales="zh-HK en").url)
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == chain.iamsmart
    assert location.path == "/api/v1/auth/getQR"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["clientID"] == "gba-bridge-dev"
    assert query["responseType"] == "code"
    assert query["redirectURI"] == f"{chain.bridge}/callback/iamsmart"
    assert query["source"] == "PC_Browser"
    assert query["lang"] == "zh-HK"
    assert 1 <= len(query["state"]) <= 36
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_discovery_describes_the_provider(chain: Chain) -> None:
    metadata = httpx.get(f"{chain.bridge}/.well-known/openid-configuration").json()
    assert metadata["issuer"] == chain.bridge
    assert metadata["authorization_endpoint"] == f"{chain.bridge}/authorize"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["subject_types_supported"] == ["pairwise"]
    assert metadata["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert {"openid", "profile", "phone", "email"} <= set(metadata["scopes_supported"])


def test_jwks_publishes_a_key_per_algorithm_with_a_thumbprint_kid(chain: Chain) -> None:
    from joserfc.jwk import JWKRegistry

    response = httpx.get(f"{chain.bridge}/jwks.json")
    assert response.headers["content-type"].startswith("application/jwk-set+json")
    assert "max-age=" in response.headers["cache-control"]
    keys = response.json()["keys"]  # the default active key first, then the others
    assert keys[0]["alg"] == "ES256"
    assert {k["alg"] for k in keys} == {"ES256", "RS256"}
    for key in keys:
        assert "d" not in key and "p" not in key, "no private part is ever published"
        assert key["use"] == "sig"
        assert JWKRegistry.import_key(key).thumbprint() == key["kid"]
