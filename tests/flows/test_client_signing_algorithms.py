"""Each client's algorithms (OIDC Registration §2): ID tokens in RS256 unless the client
registered another `id_token_signed_response_alg`, UserInfo as a signed JWT when it
registered `userinfo_signed_response_alg` (OIDC Core §5.3.2). Verified with PyJWT, a
library the bridge does not sign with, against the published JWKS."""

from __future__ import annotations

from typing import Any

import httpx
import jwt as pyjwt

from tests.flows.conftest import Chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import RelyingParty


def tokens_for(chain: Chain, resident: Resident, rp: RelyingParty) -> dict[str, Any]:
    request = rp.authorization_request(scope="openid profile")
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    code = location_query(consent(resident, page, "allow", stop_at=rp.redirect_uri))["code"]
    response = rp.redeem(code, request.verifier, auth="post")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def verified(chain: Chain, token: str, alg: str, audience: str) -> dict[str, Any]:
    """The token's claims, if it is signed with `alg` by the published key of its kid."""
    header = pyjwt.get_unverified_header(token)
    assert header["alg"] == alg
    (jwk,) = [
        k
        for k in httpx.get(f"{chain.bridge}/jwks.json").json()["keys"]
        if k["kid"] == header["kid"]
    ]
    assert jwk["alg"] == alg
    options = {"verify_iat": False, "verify_exp": False}  # the bridge's clock is injected
    claims: dict[str, Any] = pyjwt.decode(
        token, pyjwt.PyJWK(jwk).key, algorithms=[alg], audience=audience, options=options
    )
    return claims


def test_a_client_that_registered_no_algorithm_gets_rs256_id_tokens(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(
        chain.bridge, "test-other", "test-other-secret", "https://other.test/callback"
    )
    claims = verified(chain, tokens_for(chain, resident, rp)["id_token"], "RS256", "test-other")
    assert claims["iss"] == chain.bridge


def test_a_client_that_registered_es256_gets_es256_id_tokens(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(chain.bridge)
    tokens = tokens_for(chain, resident, rp)
    verified(chain, tokens["id_token"], "ES256", "test-portal")
    assert rp.userinfo(tokens["access_token"]).headers["content-type"] == "application/json"


def test_userinfo_is_a_signed_jwt_for_a_client_that_registered_its_algorithm(
    chain: Chain, resident: Resident
) -> None:
    rp = RelyingParty(
        chain.bridge, "test-signed", "test-portal-secret", "https://signed.test/callback"
    )
    tokens = tokens_for(chain, resident, rp)
    verified(chain, tokens["id_token"], "RS256", "test-signed")
    response = rp.userinfo(tokens["access_token"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jwt"
    assert response.headers["cache-control"] == "no-store"
    claims = verified(chain, response.text, "ES256", "test-signed")
    assert claims["iss"] == chain.bridge, "OIDC Core §5.3.2: iss and aud when signed"
    assert {"sub", "name", "birthdate"} <= set(claims)
