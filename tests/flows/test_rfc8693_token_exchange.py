"""RFC 8693 token exchange at the bridge's token endpoint, over real HTTP, with the mock
Guangdong platform as the real counterpart of the RFC 7523 grant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    API_RESOURCE,
    ID_TOKEN_TYPE,
    JWT_TYPE,
    PARTNER,
    ExchangeChain,
)


def claims_of(xc: ExchangeChain, token: str) -> dict[str, Any]:
    keys = KeySet.import_key_set(httpx.get(f"{xc.bridge}/jwks.json").json())
    return dict(jwt.decode(token, keys, algorithms=["ES256", "RS256"]).claims)


def test_portal_token_exchanges_for_a_guangdong_platform_token_usable_at_tokeninfo(
    xc: ExchangeChain,
) -> None:
    xc.bind_at_guangdong("wong-wing-fung")
    tokens = xc.sign_in("portal-a", "wong-wing-fung")
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="guangdong-platform",
    )
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["issued_token_type"] == ACCESS_TOKEN_TYPE
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] > 0
    assert body["scope"] == "all"
    info = xc.tokeninfo(body["access_token"])
    assert info["errcode"] == 0, info
    assert info["userobj"]["cn"] == "黄咏峰"
    assert info["userobj"]["idcardtype"] == "40"  # a 回乡证 holder: the configured code
    assert info["userobj"]["creditable_level_of_account"] == "L2"
    assert info["client_id"] == "gba-bridge"


def test_unbound_resident_gets_a_clear_invalid_grant(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", "chan-tai-man")
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="guangdong-platform",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert "no account bound to this resident" in body["error_description"]


def test_id_token_is_accepted_as_subject_token(xc: ExchangeChain) -> None:
    xc.bind_at_guangdong("lau-chi-ming")
    tokens = xc.sign_in("portal-a", "lau-chi-ming")
    response = xc.exchange(
        subject_token=tokens["id_token"],
        subject_token_type=ID_TOKEN_TYPE,
        audience="guangdong-platform",
    )
    assert response.status_code == 200, response.text
    assert xc.tokeninfo(response.json()["access_token"])["userobj"]["cn"] == "刘志明"


def test_exchange_for_a_bridge_audience_narrows_scope_and_uses_the_targets_pairwise_sub(
    xc: ExchangeChain,
) -> None:
    tokens = xc.sign_in("portal-a")
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        resource=API_RESOURCE,
        scope="profile",
        requested_token_type=JWT_TYPE,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["issued_token_type"] == JWT_TYPE
    assert body["scope"] == "profile"
    issued = claims_of(xc, body["access_token"])
    original = claims_of(xc, tokens["access_token"])
    assert issued["aud"] == "yss-api"
    assert issued["scope"] == "profile"
    assert issued["client_id"] == "portal-a"
    assert issued["sub"] != original["sub"], "the API sees its own pairwise sub"
    assert issued["gid"] == original["gid"], "the exchanged token belongs to the same grant"
    assert issued["exp"] <= original["exp"], "an exchange never outlives its subject token"


def test_several_audiences_each_allowed_give_one_token_for_all(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience=["yss-records", "yss-api"],
    )
    assert response.status_code == 200, response.text
    issued = claims_of(xc, response.json()["access_token"])
    assert sorted(issued["aud"]) == ["yss-api", "yss-records"]
    assert issued["scope"] == "profile", "within what every target may carry"


def test_actor_token_becomes_act_nested_under_the_subjects_own_act(xc: ExchangeChain) -> None:
    subject = xc.partner_token(
        sub="resident-77",
        act={"sub": "earlier-service"},
        may_act={"sub": "portal-service", "iss": PARTNER},
    )
    actor = xc.partner_token(sub="portal-service", jti=None, scope=None)
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=JWT_TYPE,
        actor_token=actor,
        actor_token_type=JWT_TYPE,
        audience="yss-records",
    )
    assert response.status_code == 200, response.text
    issued = claims_of(xc, response.json()["access_token"])
    assert issued["act"] == {
        "sub": "portal-service",
        "iss": PARTNER,
        "act": {"sub": "earlier-service"},
    }
    assert issued["sub"] != "resident-77", "a trusted issuer's subject is pairwise-derived"


def test_trusted_issuer_subject_token_is_exchanged_once(xc: ExchangeChain) -> None:
    subject = xc.partner_token()
    first = xc.exchange(subject_token=subject, subject_token_type=JWT_TYPE, audience="yss-records")
    assert first.status_code == 200, first.text
    again = xc.exchange(subject_token=subject, subject_token_type=JWT_TYPE, audience="yss-records")
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_request"
    assert "already" in again.json()["error_description"]


def test_subject_token_of_an_allowed_other_client_is_accepted(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-c", scope="openid profile")
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-records",
    )
    assert response.status_code == 200, response.text


def test_client_without_an_exchange_policy_is_unauthorized_client(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-c", scope="openid profile")
    response = xc.exchange(
        "portal-c",
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-records",
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_exchange_is_audited_with_pairwise_ids_only(
    xc: ExchangeChain, capsys: pytest.CaptureFixture[str]
) -> None:
    tokens = xc.sign_in("portal-a")
    capsys.readouterr()
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-records",
    )
    assert response.status_code == 200
    subject = claims_of(xc, tokens["access_token"])["sub"]
    logged = capsys.readouterr()
    lines = [line for line in (logged.out + logged.err).splitlines() if "token_exchange" in line]
    assert any(subject in line and "portal-a" in line for line in lines), lines


def test_discovery_advertises_the_exchange_grant_and_endpoints(xc: ExchangeChain) -> None:
    document = httpx.get(f"{xc.bridge}/.well-known/openid-configuration").json()
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in document["grant_types_supported"]
    assert "refresh_token" in document["grant_types_supported"]
    assert document["introspection_endpoint"] == f"{xc.bridge}/introspect"
    assert document["revocation_endpoint"] == f"{xc.bridge}/revoke"
    assert "private_key_jwt" in document["token_endpoint_auth_methods_supported"]
    assert "ES256" in document["token_endpoint_auth_signing_alg_values_supported"]
    assert "offline_access" in document["scopes_supported"]


def test_an_exchanged_token_never_carries_openid(xc: ExchangeChain) -> None:
    """An exchanged token is an API token: `openid` stays with the sign-in (OIDC Core
    §3.1.2.1), even when the subject token has it and the target allows it."""
    tokens = xc.sign_in("portal-a")
    assert "openid" in tokens["scope"].split()
    response = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        resource=API_RESOURCE,
        requested_token_type=JWT_TYPE,
    )
    assert response.status_code == 200, response.text
    assert "openid" not in response.json()["scope"].split()
    assert "openid" not in claims_of(xc, response.json()["access_token"])["scope"].split()
    asked = xc.exchange(
        subject_token=tokens["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        resource=API_RESOURCE,
        scope="openid profile",
    )
    assert asked.status_code == 400
    assert asked.json()["error"] == "invalid_scope"


def test_an_exchanged_token_is_signed_with_the_algorithm_its_audience_chose(
    xc: ExchangeChain,
) -> None:
    """RFC 9068 §4: RS256 is available to every resource server; `yss-records` chose it,
    `yss-api` chose nothing and gets the bridge's default (ES256)."""
    from joserfc.jws import extract_compact

    tokens = xc.sign_in("portal-a")
    for audience, alg in (("yss-records", "RS256"), ("yss-api", "ES256")):
        response = xc.exchange(
            subject_token=tokens["access_token"],
            subject_token_type=ACCESS_TOKEN_TYPE,
            audience=audience,
        )
        assert response.status_code == 200, response.text
        token = response.json()["access_token"]
        assert extract_compact(token.encode()).protected["alg"] == alg
        assert claims_of(xc, token)["aud"] == audience
