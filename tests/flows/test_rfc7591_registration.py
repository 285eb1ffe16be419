"""Dynamic Client Registration (RFC 7591) and its management (RFC 7592) through the real
chain: an operator issues an initial access token with the `bridge` command, a client
registers over HTTP and signs a resident in; what it may not do is refused in the RFC's
own error form."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from tests.flows.conftest import REPO, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.client_tls import TRUSTED
from tests.support.rp import RelyingParty

REGISTRAR = ECKey.generate_key("P-256", parameters={"kid": "registrar-1"})

METADATA: dict[str, Any] = {
    "redirect_uris": ["https://registered.test/callback"],
    "client_name": "Registered portal",
    "client_name#zh-Hant": "已登記入口",
    "client_name#zh-Hans": "已登记入口",
    "purpose": "Testing registration",
    "purpose#zh-Hant": "測試登記",
    "purpose#zh-Hans": "测试登记",
    "jurisdiction": "Guangdong Province",
    "jurisdiction#zh-Hant": "廣東省",
    "jurisdiction#zh-Hans": "广东省",
    "scope": "openid profile",
    "token_endpoint_auth_method": "client_secret_basic",
}


@pytest.fixture
def registering(tmp_path: Path, redis_url: str) -> Iterator[Chain]:
    registrars = tmp_path / "registrars.json"
    registrars.write_text(json.dumps({"keys": [REGISTRAR.as_dict(private=False)]}))
    overrides = {
        "registration_enabled": True,
        "registration_registrar_jwks_file": registrars,
    }
    with running_chain(tmp_path, redis_url, settings_overrides=overrides) as chain:
        yield chain


def bridge_clients(redis_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": "/usr/bin:/bin",
        "BRIDGE_ENV": "development",
        "BRIDGE_REDIS_URL": redis_url,
        "BRIDGE_REGISTRATION_ENABLED": "true",
        "BRIDGE_CLIENTS_FILE": str(REPO / "tests/flows/clients.yaml"),
        "GUANGDONG_PUBLIC_URL": "https://gd.test",
        "BRIDGE_LOG_LEVEL": "WARNING",
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bridge", "clients", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def initial_token(chain: Chain, redis_url: str, uses: int = 1) -> str:
    # The command runs on the real clock; the bridge's injected clock is ahead of it.
    ttl = int(chain.bridge_clock.now() - time.time()) + 3600
    issued = bridge_clients(
        redis_url, "issue-registration-token", "--uses", str(uses), "--ttl", str(ttl)
    )
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()


def register(chain: Chain, token: str | None, metadata: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{chain.bridge}/register", json=metadata, headers=headers, verify=TRUSTED)


def test_registration_is_off_by_default(chain: Chain) -> None:
    document = httpx.get(f"{chain.bridge}/.well-known/openid-configuration", verify=TRUSTED).json()
    assert "registration_endpoint" not in document
    response = register(chain, "anything", METADATA)
    assert response.status_code == 404 and response.json()["error"] == "not_found"


def test_a_registered_client_signs_a_resident_in_with_its_generated_secret(
    registering: Chain, redis_url: str, resident: Resident
) -> None:
    chain = registering
    document = httpx.get(f"{chain.bridge}/.well-known/openid-configuration", verify=TRUSTED).json()
    assert document["registration_endpoint"] == f"{chain.bridge}/register"
    token = initial_token(chain, redis_url)
    response = register(chain, token, METADATA)
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["client_id"].startswith("dcr-")
    assert len(body["client_secret"]) >= 43 and body["client_secret_expires_at"] == 0
    assert body["registration_client_uri"] == f"{chain.bridge}/register/{body['client_id']}"
    assert body["client_name#zh-Hant"] == "已登記入口"
    assert body["id_token_signed_response_alg"] == "RS256", "OIDC Registration §2 default"
    assert body["grant_types"] == ["authorization_code"]

    again = register(chain, token, METADATA)
    assert again.status_code == 401, "an initial access token for one use is spent"
    assert again.json()["error"] == "invalid_token"

    rp = RelyingParty(chain.bridge, body["client_id"], body["client_secret"])
    rp.redirect_uri = "https://registered.test/callback"
    request = rp.authorization_request(ui_locales="zh-Hant")
    page = choose(resident, at_iamsmart(resident, request.url), "wong-wing-fung")
    assert "已登記入口" in page.text, "the consent page names it in the resident's language"
    code = location_query(consent(resident, page, "allow", stop_at=rp.redirect_uri))["code"]
    tokens = rp.redeem(code, request.verifier)
    assert tokens.status_code == 200, tokens.text
    assert set(rp.userinfo(tokens.json()["access_token"]).json()) >= {"sub", "name"}
    wrong = rp.redeem(code, request.verifier, secret="not-the-secret")
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        (
            {"client_name#zh-Hans": None},
            "invalid_client_metadata",
            "client_name is needed in English (client_name or client_name#en), "
            "client_name#zh-Hant and client_name#zh-Hans: the consent page shows it in each",
        ),
        (
            {"redirect_uris": ["https://registered.test/cb#fragment"]},
            "invalid_redirect_uri",
            None,
        ),
        ({"redirect_uris": ["ftp://registered.test/cb"]}, "invalid_redirect_uri", None),
        ({"redirect_uris": []}, "invalid_redirect_uri", "redirect_uris is required"),
        (
            {"token_endpoint_auth_method": "none"},
            "invalid_client_metadata",
            "token_endpoint_auth_method none is not supported",
        ),
        ({"scope": "openid telepathy"}, "invalid_client_metadata", None),
        ({"response_types": ["token"]}, "invalid_client_metadata", None),
        ({"id_token_signed_response_alg": "HS256"}, "invalid_client_metadata", None),
        ({"id_token_signed_response_alg": "EdDSA"}, "invalid_client_metadata", None),
        (
            {"scope": "openid offline_access"},
            "invalid_client_metadata",
            "offline_access in scope and refresh_token in grant_types go together",
        ),
        (
            {"backchannel_logout_uri": "https://registered.test/bc#f"},
            "invalid_client_metadata",
            None,
        ),
        (
            {"post_logout_redirect_uris": "https://registered.test/bye"},
            "invalid_client_metadata",
            None,
        ),
    ],
)
def test_bad_metadata_is_refused_and_does_not_spend_the_token(
    registering: Chain,
    redis_url: str,
    change: dict[str, Any],
    error: str,
    description: str | None,
) -> None:
    token = initial_token(registering, redis_url)
    metadata = {k: v for k, v in {**METADATA, **change}.items() if v is not None}
    refused = register(registering, token, metadata)
    assert refused.status_code == 400, refused.text
    assert refused.json()["error"] == error
    if description is not None:
        assert refused.json()["error_description"] == description
    assert register(registering, token, METADATA).status_code == 201


def test_a_client_registers_for_logout(registering: Chain, redis_url: str) -> None:
    """RP-Initiated Logout 1.0 §3.1 and Back-Channel Logout 1.0 §2.2 metadata."""
    logout = {
        "post_logout_redirect_uris": ["https://registered.test/bye"],
        "backchannel_logout_uri": "https://registered.test/backchannel",
        "backchannel_logout_session_required": True,
    }
    response = register(registering, initial_token(registering, redis_url), {**METADATA, **logout})
    assert response.status_code == 201, response.text
    body = response.json()
    assert {k: body[k] for k in logout} == logout
    client = registering.bridge_app.state.core.clients.get(body["client_id"])
    assert client.post_logout_redirect_uris == ("https://registered.test/bye",)
    assert client.backchannel_logout_uri == "https://registered.test/backchannel"


def test_without_a_valid_initial_access_token_nothing_is_registered(
    registering: Chain,
) -> None:
    missing = register(registering, None, METADATA)
    assert missing.status_code == 401 and "error=" not in missing.headers["www-authenticate"]
    forged = register(registering, "made-up-token", METADATA)
    assert forged.status_code == 401 and forged.json()["error"] == "invalid_token"
    not_json = httpx.post(
        f"{registering.bridge}/register",
        content=b"{",
        headers={"Content-Type": "text/plain"},
        verify=TRUSTED,
    )
    assert not_json.status_code == 401, "the token is checked before the body is read"


def test_rfc7592_read_update_and_delete_with_the_registration_access_token(
    registering: Chain, redis_url: str, resident: Resident
) -> None:
    chain = registering
    body = register(chain, initial_token(chain, redis_url), METADATA).json()
    uri, access = body["registration_client_uri"], body["registration_access_token"]
    auth = {"Authorization": f"Bearer {access}"}

    read = httpx.get(uri, headers=auth, verify=TRUSTED)
    assert read.status_code == 200
    assert read.json()["redirect_uris"] == METADATA["redirect_uris"]
    assert "client_secret" not in read.json() and "registration_access_token" not in read.json()
    assert (
        httpx.get(uri, headers={"Authorization": "Bearer wrong"}, verify=TRUSTED).status_code == 401
    )

    changed = {
        **{k: v for k, v in read.json().items() if k != "registration_client_uri"},
        "redirect_uris": ["https://registered.test/new"],
        "client_secret": body["client_secret"],
    }
    updated = httpx.put(uri, json=changed, headers=auth, verify=TRUSTED)
    assert updated.status_code == 200, updated.text
    assert updated.json()["redirect_uris"] == ["https://registered.test/new"]
    mismatched = httpx.put(
        uri, json={**changed, "client_secret": "guess"}, headers=auth, verify=TRUSTED
    )
    assert mismatched.status_code == 400

    rp = RelyingParty(chain.bridge, body["client_id"], body["client_secret"])
    rp.redirect_uri = "https://registered.test/new"
    assert "/api/v1/auth/getQR" in resident.open(rp.authorization_request().url).url

    assert httpx.delete(uri, headers=auth, verify=TRUSTED).status_code == 204
    assert httpx.get(uri, headers=auth, verify=TRUSTED).status_code == 401
    gone = rp.redeem("any-code", "x" * 43)
    assert gone.status_code == 401 and gone.json()["error"] == "invalid_client"


def test_a_configured_client_cannot_be_read_or_changed_through_the_api(
    registering: Chain,
) -> None:
    uri = f"{registering.bridge}/register/test-portal"
    for method in ("GET", "PUT", "DELETE"):
        response = httpx.request(
            method,
            uri,
            json={"client_id": "test-portal"},
            headers={"Authorization": "Bearer x"},
            verify=TRUSTED,
        )
        assert response.status_code == 401, (method, response.text)
    assert (
        httpx.get(
            f"{registering.bridge}/.well-known/openid-configuration", verify=TRUSTED
        ).status_code
        == 200
    )


def statement(key: ECKey, **claims: Any) -> str:
    header = {"alg": "ES256", "kid": key.kid or "other"}
    return jwt.encode(header, {"iss": "registrar.test", **claims}, key)


def test_a_software_statement_from_a_configured_registrar_wins_over_the_request(
    registering: Chain, redis_url: str
) -> None:
    token = initial_token(registering, redis_url, uses=2)
    signed = statement(REGISTRAR, client_name="Vetted portal", software_id="vetted-1")
    accepted = register(registering, token, {**METADATA, "software_statement": signed})
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["client_name"] == "Vetted portal"
    assert accepted.json()["software_id"] == "vetted-1"

    stranger = ECKey.generate_key("P-256", parameters={"kid": "stranger"})
    refused = register(registering, token, {**METADATA, "software_statement": statement(stranger)})
    assert refused.status_code == 400
    assert refused.json()["error"] == "unapproved_software_statement"
    garbage = register(registering, token, {**METADATA, "software_statement": "not.a.jwt"})
    assert garbage.json()["error"] == "invalid_software_statement"


def test_clients_list_shows_configured_and_registered_clients(
    registering: Chain, redis_url: str
) -> None:
    body = register(registering, initial_token(registering, redis_url), METADATA).json()
    listed = bridge_clients(redis_url, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    kinds = {row["client_id"]: row["kind"] for row in json.loads(listed.stdout)}
    assert kinds["test-portal"] == "configured"
    assert kinds[body["client_id"]] == "registered"
