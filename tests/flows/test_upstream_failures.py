"""How the bridge behaves when iAM Smart refuses, fails or is attacked (docs/protocols.md
§1.8, §1.9, §1.12, §4.1), seen from the client and from the wire."""

from __future__ import annotations

from pathlib import Path

import httpx
import redis

from bridge.audit.records import STREAM_KEY
from tests.flows.conftest import Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.rp import AuthorizationRequest, RelyingParty


def sign_in(
    chain: Chain, persona: str = "wong-wing-fung", request: AuthorizationRequest | None = None
) -> dict[str, str]:
    """A resident approves at iAM Smart; returns what reaches the client's redirect_uri."""
    rp = RelyingParty(chain.bridge)
    resident = Resident()
    try:
        qr = at_iamsmart(resident, (request or rp.authorization_request()).url)
        page = choose(resident, qr, persona, stop_at=rp.redirect_uri)
        if "/consent/" in page.url:
            page = consent(resident, page, "allow", stop_at=rp.redirect_uri)
        return location_query(page)
    finally:
        resident.close()


def test_wrong_hmac_secret_is_refused_by_iamsmart_and_reported_as_server_error(
    tmp_path: Path, redis_url: str
) -> None:
    with running_chain(
        tmp_path, redis_url, bridge_env={"IAMSMART_CLIENT_SECRET": "dev-only-tampered"}
    ) as chain:
        response = sign_in(chain)
        assert response["error"] == "server_error"
        assert response["error_description"] == "Sign-in through iAM Smart failed"
        assert chain.iamsmart_state.calls["getToken"] == 0, "no token for a bad signature"


def test_replayed_signed_request_is_rejected_by_iamsmart(chain: Chain) -> None:
    assert "code" in sign_in(chain)
    sent = [r for r in chain.upstream_requests if r.url.path == "/api/v1/auth/getToken"]
    assert len(sent) == 1
    original = sent[0]
    replay = httpx.post(str(original.url), headers=dict(original.headers), content=original.content)
    assert replay.status_code == 200
    assert replay.json()["code"] == "D20004", "a reused nonce is a replay"


def test_every_request_to_iamsmart_has_a_fresh_nonce(chain: Chain) -> None:
    sign_in(chain)
    sign_in(chain, "lau-chi-ming")
    nonces = [r.headers["nonce"] for r in chain.upstream_requests]
    assert len(nonces) >= 5
    assert len(set(nonces)) == len(nonces)


def test_stale_content_key_is_refetched_and_the_sign_in_succeeds(chain: Chain) -> None:
    assert "code" in sign_in(chain)
    assert chain.iamsmart_state.calls["getKey"] == 1
    expired = httpx.post(f"{chain.iamsmart}/__test__/expire-cek")
    assert expired.status_code == 200, expired.text
    assert expired.json()["expired"], "the bridge's content key was expired at the mock"
    assert "code" in sign_in(chain, "cheung-ka-yan")
    assert chain.iamsmart_state.calls["getKey"] == 2


def test_unreachable_iamsmart_is_temporarily_unavailable(tmp_path: Path, redis_url: str) -> None:
    from tests.support.servers import bind_loopback, url_of

    closed = bind_loopback(listen=False)  # bound, never listening: connections are refused
    try:
        with running_chain(
            tmp_path, redis_url, bridge_env={"IAMSMART_API_URL": url_of(closed)}
        ) as chain:
            response = sign_in(chain)
            assert response["error"] == "temporarily_unavailable"
    finally:
        closed.close()


def test_whole_sign_in_works_on_the_memory_store(tmp_path: Path) -> None:
    with running_chain(tmp_path, None) as chain:
        rp = RelyingParty(chain.bridge)
        request = rp.authorization_request()
        response = sign_in(chain, request=request)
        tokens = rp.redeem(response["code"], request.verifier)
        assert tokens.status_code == 200, tokens.text
        assert rp.userinfo(tokens.json()["access_token"]).json()["name"] == "黃詠峯"


def test_every_key_the_sign_in_leaves_in_redis_expires(chain: Chain, redis_url: str) -> None:
    assert "code" in sign_in(chain)
    client = redis.Redis.from_url(redis_url)
    keys = client.keys("*")
    assert keys
    for key in keys:
        assert key.startswith(b"bridge:")
        if key == STREAM_KEY.encode():
            continue  # the audit trail is kept, never expired (bridge/audit/log.py)
        assert client.pttl(key) > 0, key
    client.close()
