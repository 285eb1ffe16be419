"""Token introspection (RFC 7662) at /introspect: client-authenticated, and a client
learns only about its own tokens."""

from __future__ import annotations

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    ExchangeChain,
)


def test_active_access_token_is_described(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    response = xc.post("/introspect", {"token": tokens["access_token"]})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["active"] is True
    assert body["client_id"] == "portal-a"
    assert body["scope"] == "openid profile offline_access"
    assert body["token_type"] == "Bearer"
    assert body["iss"] == xc.bridge
    assert body["exp"] > xc.now
    assert isinstance(body["sub"], str)


def test_active_refresh_token_is_described(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    body = xc.post(
        "/introspect", {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    ).json()
    assert body["active"] is True
    assert body["client_id"] == "portal-a"
    assert body["scope"] == "openid profile offline_access"


def test_hint_only_orders_the_search(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    wrong_hint = xc.post(
        "/introspect", {"token": tokens["access_token"], "token_type_hint": "refresh_token"}
    )
    assert wrong_hint.json()["active"] is True


def test_exchanged_token_is_described_with_its_act_and_audience(xc: ExchangeChain) -> None:
    subject = xc.partner_token(may_act={"sub": "svc"})
    actor = xc.partner_token(sub="svc")
    issued = xc.exchange(
        subject_token=subject,
        subject_token_type="urn:ietf:params:oauth:token-type:jwt",
        actor_token=actor,
        actor_token_type="urn:ietf:params:oauth:token-type:jwt",
        audience="yss-records",
    ).json()["access_token"]
    body = xc.post("/introspect", {"token": issued}).json()
    assert body["active"] is True
    assert body["aud"] == "yss-records"
    assert body["act"]["sub"] == "svc"


def test_another_clients_token_is_simply_inactive(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = xc.post("/introspect", {"token": token}, "portal-b")
        assert response.status_code == 200
        assert response.json() == {"active": False}


def test_unknown_and_malformed_tokens_are_inactive(xc: ExchangeChain) -> None:
    for token in ("nonsense", "a.b.c", "x" * 9000):
        assert xc.post("/introspect", {"token": token}).json() == {"active": False}


def test_expired_access_token_is_inactive(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    xc.advance(601)
    assert xc.post("/introspect", {"token": tokens["access_token"]}).json() == {"active": False}


def test_consumed_refresh_token_is_inactive(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    xc.post("/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    body = xc.post("/introspect", {"token": tokens["refresh_token"]}).json()
    assert body == {"active": False}


def test_introspection_requires_client_authentication(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", scope="openid profile")
    response = xc.post("/introspect", {"token": tokens["access_token"]}, None)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "www-authenticate" in response.headers


def test_introspection_without_a_token_is_invalid_request(xc: ExchangeChain) -> None:
    response = xc.post("/introspect", {})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_subject_token_type_constant_is_not_a_token(xc: ExchangeChain) -> None:
    assert xc.post("/introspect", {"token": ACCESS_TOKEN_TYPE}).json() == {"active": False}
