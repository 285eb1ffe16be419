"""Nothing secret in any line `bridge serve` writes (issue 10): a whole sign-in with
consent, the code exchange, UserInfo (with the token in the query string, where an
access log would catch it), a refresh, a token exchange, introspection and revocation,
a wrong client secret, and the resident's own sign-in and sign-out — through a real
`bridge serve` process, whose stdout and stderr are read line by line afterwards."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    API_RESOURCE,
    EXCHANGE,
    JwksServer,
    jwks_of,
    new_key,
    write_config,
)
from tests.flows.steps import at_iamsmart, choose, location_query
from tests.flows.test_no_personal_data_in_logs import PERSONAL_VALUES
from tests.hardening.served import served_bridge
from tests.support.browser import Resident
from tests.support.rp import RelyingParty
from tests.support.servers import serving

PERSONA = "wong-wing-fung"
WRONG_SECRET = "not-the-portal-secret-7f3a9c"
PROBE_ID = "probe-request-0001"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def run_everything(bridge: str, secrets: list[str]) -> None:
    """Drive every step a resident and a client take; collect each secret seen."""
    rp = RelyingParty(bridge, "portal-a", "portal-a-secret", "https://portal.test/callback")
    secrets += [rp.secret, WRONG_SECRET]
    resident = Resident()
    try:
        request = rp.authorization_request(scope="openid profile offline_access")
        secrets += [request.state, request.nonce, request.verifier]
        qr = at_iamsmart(resident, request.url)
        at_callback = choose(resident, qr, PERSONA, stop_at=f"{bridge}/callback")
        upstream = query_of(at_callback.response.headers["location"])
        secrets += [v for k, v in upstream.items() if k in ("code", "state")]
        consent_page = resident.follow(at_callback.response)
        assert "/consent/" in consent_page.url, consent_page.text[:300]
        secrets.append(urlsplit(consent_page.url).path.rsplit("/", 1)[1])
        form = consent_page.html.find("input", attrs={"name": "csrf_token"})
        secrets.append(str(form["value"]))
        back = resident.submit(consent_page, button=("decision", "allow"), stop_at=rp.redirect_uri)
        code = location_query(back)["code"]
        secrets.append(code)
        secrets.append(resident.http.cookies["bridge_browser"])
        tokens = rp.redeem(code, request.verifier).json()
        secrets += [tokens["access_token"], tokens["id_token"], tokens["refresh_token"]]
        query_userinfo = httpx.get(
            f"{bridge}/userinfo",
            params={"access_token": tokens["access_token"]},
            headers={"X-Request-Id": PROBE_ID},
        )
        assert query_userinfo.status_code in (200, 400, 401)
        basic = httpx.BasicAuth(rp.client_id, rp.secret)
        refreshed = httpx.post(
            f"{bridge}/token",
            data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            auth=basic,
        )
        assert refreshed.status_code == 200, refreshed.text
        refreshed = refreshed.json()
        secrets += [refreshed["access_token"], refreshed["refresh_token"]]
        exchanged = httpx.post(
            f"{bridge}/token",
            data={
                "grant_type": EXCHANGE,
                "subject_token": refreshed["access_token"],
                "subject_token_type": ACCESS_TOKEN_TYPE,
                "resource": API_RESOURCE,
            },
            auth=basic,
        )
        assert exchanged.status_code == 200, exchanged.text
        secrets.append(exchanged.json()["access_token"])
        for path in ("/introspect", "/revoke"):
            done = httpx.post(
                f"{bridge}{path}", data={"token": refreshed["access_token"]}, auth=basic
            )
            assert done.status_code == 200, done.text
        assert rp.redeem(code, request.verifier).status_code == 400  # replayed: logged
        wrong = httpx.post(
            f"{bridge}/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "client_id": rp.client_id,
                "client_secret": WRONG_SECRET,
            },
        )
        assert wrong.status_code == 401
        # the resident's own account: sign in, and sign out
        qr = at_iamsmart(resident, f"{bridge}/consents/sign-in?idp=iamsmart")
        listing = choose(resident, qr, PERSONA)
        sign_out = listing.html.select_one("form[action='/consents/sign-out']")
        assert sign_out is not None, listing.text[:300]
        secrets.append(str(sign_out.find("input", attrs={"name": "csrf_token"})["value"]))
        secrets.append(resident.http.cookies["bridge_browser"])
        assert resident.submit(listing, form=sign_out).status == 200
    finally:
        resident.close()


def test_bridge_serve_logs_no_code_token_state_interaction_secret_or_persona_value(
    tmp_path: Path, redis_url: str
) -> None:
    jwks = JwksServer()
    jwks.documents["/partner.json"] = jwks_of(new_key())
    with serving(jwks) as server:
        clients_file, exchange_file = write_config(tmp_path, server.url, new_key())
        settings = {
            "BRIDGE_CLIENTS_FILE": str(clients_file),
            "BRIDGE_TOKEN_EXCHANGE_FILE": str(exchange_file),
        }
        secrets: list[str] = []
        with served_bridge(tmp_path, redis_url, settings=settings) as served:
            run_everything(served.bridge, secrets)
        lines = served.log_lines()
    assert len(lines) > 20, "the served bridge must have logged the flow"
    events = [json.loads(line) for line in lines if line.startswith("{")]
    assert len(events) == len(lines), "one JSON object per line, and nothing else"
    assert not [e for e in events if e.get("logger") == "uvicorn.access"], "no access log"
    probe = [e for e in events if e.get("request_id") == PROBE_ID and e["event"] == "http.request"]
    assert len(probe) == 1, f"each request is logged once: {probe}"
    assert probe[0]["path"] == "/userinfo"
    consent_events = [e for e in events if "/consent/" in str(e.get("path", ""))]
    assert consent_events and {e["path"] for e in consent_events} == {"/consent/{interaction_id}"}
    values = [s for s in secrets if s] + PERSONAL_VALUES[PERSONA]
    for value in values:
        leaking = [line for line in lines if value in line]
        assert not leaking, f"{value[:12]}... appears in a log line: {leaking[0][:400]}"
