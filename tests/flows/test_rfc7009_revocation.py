"""Token revocation (RFC 7009) at /revoke: client-authenticated; revoking a refresh
token revokes its family; a client may revoke only its own tokens."""

from __future__ import annotations

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    ExchangeChain,
)


def active(xc: ExchangeChain, token: str) -> bool:
    return bool(xc.post("/introspect", {"token": token}).json()["active"])


def test_revoking_a_refresh_token_revokes_its_family(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    refreshed = xc.post(
        "/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    ).json()
    exchanged = xc.exchange(
        subject_token=refreshed["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-records",
    ).json()["access_token"]
    assert active(xc, exchanged)

    response = xc.post(
        "/revoke", {"token": refreshed["refresh_token"], "token_type_hint": "refresh_token"}
    )
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["cache-control"] == "no-store"
    for token in (refreshed["access_token"], tokens["access_token"], exchanged):
        assert not active(xc, token)
    assert xc.rp().userinfo(refreshed["access_token"]).status_code == 401
    again = xc.post(
        "/token", {"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"]}
    )
    assert again.json()["error"] == "invalid_grant"


def test_revoking_an_access_token_revokes_that_token_only(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    assert xc.post("/revoke", {"token": tokens["access_token"]}).status_code == 200
    assert not active(xc, tokens["access_token"])
    assert xc.rp().userinfo(tokens["access_token"]).status_code == 401
    refreshed = xc.post(
        "/token", {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200, "the grant lives on"
    assert active(xc, refreshed.json()["access_token"])


def test_a_client_cannot_revoke_another_clients_token(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    for token in (tokens["access_token"], tokens["refresh_token"]):
        response = xc.post("/revoke", {"token": token}, "portal-b")
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
        assert active(xc, token), "refused, and untouched"


def test_unknown_token_revocation_is_a_quiet_success(xc: ExchangeChain) -> None:
    response = xc.post("/revoke", {"token": "never-issued", "token_type_hint": "weird"})
    assert response.status_code == 200


def test_revocation_requires_client_authentication(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", scope="openid profile")
    response = xc.post("/revoke", {"token": tokens["access_token"]}, None)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert active(xc, tokens["access_token"])


def test_revocation_without_a_token_is_invalid_request(xc: ExchangeChain) -> None:
    response = xc.post("/revoke", {}, auth="post")
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
