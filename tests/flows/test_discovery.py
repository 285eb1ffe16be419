"""What a certified client reads before anything else: OIDC Discovery §3, RFC 8414 §3,
and the bridge's error shape on paths that do not exist."""

from __future__ import annotations

import httpx
import pytest

from tests.flows.conftest import Chain


@pytest.fixture
def chain(module_chain: Chain) -> Chain:
    """The module's one chain: these tests only read, each with its own browser."""
    return module_chain


def test_rfc8414_metadata_is_served_and_identical_to_discovery(chain: Chain) -> None:
    oidc = httpx.get(f"{chain.bridge}/.well-known/openid-configuration")
    oauth = httpx.get(f"{chain.bridge}/.well-known/oauth-authorization-server")
    assert oauth.status_code == 200
    assert oauth.headers["content-type"] == "application/json"
    assert oauth.json() == oidc.json()
    assert oauth.json()["issuer"] == chain.bridge  # RFC 8414 §3.3


def test_claims_supported_lists_claims_not_protocol_members(chain: Chain) -> None:
    claims = set(
        httpx.get(f"{chain.bridge}/.well-known/openid-configuration").json()["claims_supported"]
    )
    assert {"sub", "name", "birthdate", "acr", "auth_time"} <= claims
    assert not claims & {"nonce", "at_hash", "iss", "aud", "exp", "iat"}


def test_an_unknown_path_is_a_json_404_in_the_bridges_error_shape(chain: Chain) -> None:
    response = httpx.get(f"{chain.bridge}/no/such/endpoint")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"error": "not_found", "error_description": "No such endpoint"}
    wrong_method = httpx.delete(f"{chain.bridge}/.well-known/openid-configuration")
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"] == "invalid_request"


def test_userinfo_with_the_token_in_the_query_is_invalid_request(chain: Chain) -> None:
    """RFC 6750 §2.3 is not supported; the client hears why instead of an empty 401."""
    response = httpx.get(f"{chain.bridge}/userinfo", params={"access_token": "abc.def.ghi"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert 'error="invalid_request"' in response.headers["www-authenticate"]
    nothing = httpx.get(f"{chain.bridge}/userinfo")
    assert nothing.status_code == 401, "no token at all: §3.1"
    assert "error=" not in nothing.headers["www-authenticate"]
