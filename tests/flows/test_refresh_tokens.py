"""Refresh tokens (RFC 6749 §6, OIDC Core §11, RFC 9700 §4.14.2): only for clients
registered for offline access that ask for it, rotated on every use, reuse revokes the
family, and the family ends at its absolute lifetime however often it is rotated."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis

from tests.flows.exchange_support import ExchangeChain, running_exchange_chain
from tests.flows.steps import at_iamsmart, choose
from tests.support.browser import Resident


@pytest.fixture
def xc(tmp_path: Any, redis_url: str) -> Iterator[ExchangeChain]:
    with running_exchange_chain(tmp_path, redis_url) as running:
        yield running


def refresh(xc: ExchangeChain, token: str, client_id: str = "portal-a", **extra: str) -> Any:
    return xc.post(
        "/token", {"grant_type": "refresh_token", "refresh_token": token, **extra}, client_id
    )


def userinfo_status(xc: ExchangeChain, access_token: str) -> int:
    return xc.rp().userinfo(access_token).status_code


def test_offline_client_asking_for_offline_access_gets_a_refresh_token(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", scope="openid profile offline_access")
    assert len(tokens["refresh_token"]) >= 43
    plain = xc.sign_in("portal-a", scope="openid profile")
    assert "refresh_token" not in plain, "not asked for: not given"


def test_client_not_registered_for_offline_access_cannot_ask_for_it(xc: ExchangeChain) -> None:
    rp = xc.rp("portal-b")
    request = rp.authorization_request(scope="openid offline_access")
    resident = Resident()
    try:
        response = resident.http.get(request.url)
    finally:
        resident.close()
    assert response.status_code == 302
    assert "error=invalid_scope" in response.headers["location"]


def test_refresh_rotates_and_gives_a_working_access_token(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    response = refresh(xc, tokens["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["refresh_token"] != tokens["refresh_token"]
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "openid profile offline_access"
    assert "id_token" in body
    assert userinfo_status(xc, body["access_token"]) == 200
    again = refresh(xc, body["refresh_token"])
    assert again.status_code == 200, "the rotated token works once more"


def test_a_refresh_with_an_uncovered_scope_does_not_consume_the_token(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a", scope="openid profile offline_access")
    refused = refresh(xc, tokens["refresh_token"], scope="openid email")
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_scope"
    assert userinfo_status(xc, tokens["access_token"]) == 200, "the grant is not revoked"
    retry = refresh(xc, tokens["refresh_token"])
    assert retry.status_code == 200, retry.text


def test_refresh_may_narrow_scope_but_never_widen_it(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    narrowed = refresh(xc, tokens["refresh_token"], scope="openid")
    assert narrowed.status_code == 200
    assert narrowed.json()["scope"] == "openid"
    wider = refresh(xc, narrowed.json()["refresh_token"], scope="openid profile email")
    assert wider.status_code == 400
    assert wider.json()["error"] == "invalid_scope"


def test_reused_refresh_token_revokes_the_family(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    first = refresh(xc, tokens["refresh_token"]).json()
    assert userinfo_status(xc, first["access_token"]) == 200

    reuse = refresh(xc, tokens["refresh_token"])
    assert reuse.status_code == 400
    assert reuse.json()["error"] == "invalid_grant"
    assert "revoked" in reuse.json()["error_description"]

    assert userinfo_status(xc, first["access_token"]) == 401, "the family's tokens die"
    assert userinfo_status(xc, tokens["access_token"]) == 401
    assert refresh(xc, first["refresh_token"]).json()["error"] == "invalid_grant"


def test_refresh_token_of_another_client_is_invalid_grant_and_stays_usable(
    xc: ExchangeChain,
) -> None:
    tokens = xc.sign_in("portal-a")
    stolen = refresh(xc, tokens["refresh_token"], client_id="portal-jwt")
    assert stolen.status_code == 400
    assert stolen.json()["error"] == "invalid_grant"
    assert refresh(xc, tokens["refresh_token"]).status_code == 200


def test_client_without_offline_access_is_unauthorized_for_the_refresh_grant(
    xc: ExchangeChain,
) -> None:
    tokens = xc.sign_in("portal-a")
    response = refresh(xc, tokens["refresh_token"], client_id="portal-b")
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"


def test_unknown_refresh_token_is_invalid_grant(xc: ExchangeChain) -> None:
    response = refresh(xc, "x" * 43)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_refresh_token_expires_when_idle(xc: ExchangeChain) -> None:
    tokens = xc.sign_in("portal-a")
    xc.advance(43200 + 1)
    response = refresh(xc, tokens["refresh_token"])
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_rotation_never_extends_the_familys_absolute_lifetime(xc: ExchangeChain) -> None:
    token = xc.sign_in("portal-a")["refresh_token"]
    for _ in range(14):  # a refresh every 12 hours for a week, each just before expiry
        xc.advance(43000)
        response = refresh(xc, token)
        assert response.status_code == 200, response.text
        token = response.json()["refresh_token"]
    xc.advance(43000)
    final = refresh(xc, token)
    assert final.status_code == 400, "the family ended at 7 days"
    assert final.json()["error"] == "invalid_grant"


def test_refresh_tokens_are_stored_as_digests_with_ttls(xc: ExchangeChain, redis_url: str) -> None:
    token = xc.sign_in("portal-a")["refresh_token"]
    client = redis.Redis.from_url(redis_url)
    keys = [k.decode() for k in client.keys("bridge:refresh:*")]
    assert keys, "refresh tokens live in Redis"
    assert all(token not in key for key in keys)
    for key in keys:
        assert 0 < client.pttl(key) <= 604800 * 1000
        assert token.encode() not in client.get(key)


def test_consent_page_tells_the_resident_when_a_client_asks_for_offline_access(
    xc: ExchangeChain,
) -> None:
    """OIDC Core §11: offline access needs the resident's informed consent."""
    pages = {}
    for scope in ("openid profile offline_access", "openid profile"):
        resident = Resident()
        try:
            request = xc.rp("portal-a").authorization_request(scope=scope)
            pages[scope] = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
        finally:
            resident.close()
    notice = pages["openid profile offline_access"].html.select_one("#consent-offline")
    assert notice is not None and "7 days" in notice.get_text()
    assert pages["openid profile"].html.select_one("#consent-offline") is None
