"""A certified relying-party library, npm's `openid-client` (v6, pinned in
tests/rp_conformance/package.json), drives the bridge with its defaults unmodified:
discovery, code + PKCE with state and nonce, ID token validation, UserInfo (JSON and
signed), refresh, introspection, token exchange, revocation, RP-initiated logout and
dynamic registration —
for a client that registered ES256 and one that said nothing (RS256). If the library
refuses something, the bridge is wrong.

The bridge speaks https here (a private CA the library is told about): the library
refuses plain http by default, and that default stays. The scripted resident does the
browser's part; `drive.mjs` does the rest and reports every step as JSON.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.flows.conftest import REPO, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent
from tests.support.browser import Resident
from tests.support.tls import loopback_tls

HERE = Path(__file__).resolve().parent
INSTALL_HINT = "install Node.js 20+ and run `scripts/setup --test` (npm ci in tests/rp_conformance)"
CLIENTS = {
    "rp-es256": {"alg": "ES256", "userinfo_alg": None},
    "rp-rs256": {"alg": None, "userinfo_alg": "RS256"},  # nothing said: RS256 ID tokens
}


def secret_of(client_id: str) -> str:
    return f"{client_id}-secret-for-the-conformance-test"


def configuration(directory: Path) -> dict[str, Path]:
    clients = []
    for client_id, algs in CLIENTS.items():
        entry: dict[str, Any] = {
            "client_id": client_id,
            "upstreams": ["iamsmart"],
            "downstream": "guangdong",
            "name": {"en": client_id, "zh-Hant": client_id, "zh-Hans": client_id},
            "purpose": {"en": "Conformance", "zh-Hant": "符合性", "zh-Hans": "符合性"},
            "jurisdiction": {"en": "Guangdong", "zh-Hant": "廣東", "zh-Hans": "广东"},
            "client_secret_sha256": hashlib.sha256(secret_of(client_id).encode()).hexdigest(),
            "redirect_uris": [f"https://{client_id}.test/callback"],
            "post_logout_redirect_uris": [f"https://{client_id}.test/signed-out"],
            "allowed_scopes": ["openid", "profile", "offline_access"],
            "allowed_claims": ["name", "birthdate"],
            "token_exchange": {"targets": ["rp-api"], "subject_issuers": ["bridge"]},
        }
        if algs["alg"]:
            entry["id_token_signed_response_alg"] = algs["alg"]
        if algs["userinfo_alg"]:
            entry["userinfo_signed_response_alg"] = algs["userinfo_alg"]
        clients.append(entry)
    exchange = {
        "trusted_issuers": [],
        "targets": [
            {
                "name": "rp-api",
                "kind": "bridge",
                "display_name": "RP API",
                "scopes": ["profile"],
                "signing_alg": "RS256",
            }
        ],
    }
    files = {
        "clients_file": directory / "clients.yaml",
        "token_exchange_file": directory / "token_exchange.yaml",
    }
    files["clients_file"].write_text(yaml.safe_dump({"clients": clients}, allow_unicode=True))
    files["token_exchange_file"].write_text(yaml.safe_dump(exchange))
    return files


def node_ready() -> str:
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "openid-client").is_dir():
        pytest.fail(f"openid-client is not installed: {INSTALL_HINT}")
    return node


@pytest.fixture
def tls_chain(tmp_path: Path, redis_url: str) -> Iterator[tuple[Chain, Path]]:
    tls, ca = loopback_tls(tmp_path / "tls")
    overrides: dict[str, Any] = {**configuration(tmp_path), "registration_enabled": True}
    with running_chain(tmp_path, redis_url, settings_overrides=overrides, bridge_tls=tls) as chain:
        # The library checks iat and exp against the real clock: every party on it.
        for clock in (chain.bridge_clock, chain.iamsmart_clock, chain.guangdong_clock):
            clock.advance(time.time() - clock.now())
        yield chain, ca


def initial_access_token(redis_url: str) -> str:
    issued = subprocess.run(
        [sys.executable, "-m", "bridge", "clients", "issue-registration-token", "--uses", "1"],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", "BRIDGE_ENV": "development", "BRIDGE_REDIS_URL": redis_url},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert issued.returncode == 0, issued.stderr
    return issued.stdout.strip()


def run_library(chain: Chain, ca: Path, redis_url: str) -> dict[str, Any]:
    node = node_ready()
    specs = [
        {
            "client_id": client_id,
            "client_secret": secret_of(client_id),
            "redirect_uri": f"https://{client_id}.test/callback",
            "post_logout_redirect_uri": f"https://{client_id}.test/signed-out",
            **algs,
        }
        for client_id, algs in CLIENTS.items()
    ]
    env = {
        "PATH": "/usr/bin:/bin",
        "NODE_EXTRA_CA_CERTS": str(ca),
        "ISSUER": chain.bridge,
        "CLIENTS": json.dumps(specs),
        "INITIAL_ACCESS_TOKEN": initial_access_token(redis_url),
        "EXCHANGE_AUDIENCE": "rp-api",
    }
    process = subprocess.Popen(  # noqa: S603 - node on our own script
        [node, "drive.mjs"],
        cwd=HERE,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(120, process.kill)  # a hung library fails, never hangs CI
    watchdog.start()
    resident = Resident(verify=ssl.create_default_context(cafile=str(ca)))
    try:
        assert process.stdout is not None and process.stdin is not None
        for line in process.stdout:
            message = json.loads(line)
            if "results" in message:
                results: dict[str, Any] = message["results"]
                return results
            url = message["authorize"]
            redirect_uri = next(s["redirect_uri"] for s in specs if s["client_id"] in url)
            page = choose(resident, at_iamsmart(resident, url), "wong-wing-fung")
            answer = consent(resident, page, "allow", stop_at=redirect_uri)
            process.stdin.write(answer.response.headers["location"] + "\n")
            process.stdin.flush()
        raise AssertionError(
            f"the library stopped: {process.stderr.read() if process.stderr else ''}"
        )
    finally:
        watchdog.cancel()
        resident.close()
        process.kill()
        process.communicate(timeout=10)  # and closes its pipes


def test_openid_client_with_its_defaults_passes_every_step(
    tls_chain: tuple[Chain, Path], redis_url: str
) -> None:
    chain, ca = tls_chain
    results = run_library(chain, ca, redis_url)
    for client_id, expected_alg in (("rp-es256", "ES256"), ("rp-rs256", "RS256")):
        steps = results[client_id]
        failed = {name: step for name, step in steps.items() if not step["ok"]}
        assert set(failed) == {"refresh_after_revocation"}, (client_id, failed)
        assert failed["refresh_after_revocation"]["error"] == "invalid_grant"
        assert steps["discovery"]["issuer"] == chain.bridge
        assert {"ES256", "RS256"} <= set(steps["discovery"]["algs"])
        assert steps["code"]["alg"] == expected_alg
        assert steps["code"]["refresh"] is True
        assert isinstance(steps["code"]["auth_time"], int)
        assert {"sub", "name", "birthdate"} <= set(steps["userinfo"]["claims"])
        assert steps["refresh"]["rotated"] is True
        assert steps["introspection"] == {"ok": True, "active": True, "client_id": client_id}
        assert steps["exchange"]["scope"] == "profile", "an exchanged token carries no openid"
        assert steps["revocation"]["active_after"] is False
        # RP-Initiated Logout 1.0 with the library's own end-session URL: the hint is
        # enough (no confirmation page), and the browser goes back with its state.
        assert steps["end_session"]["status"] in (302, 303), steps["end_session"]
        assert steps["end_session"]["location"] == f"https://{client_id}.test/signed-out?state=bye"
    registration = results["registration"]
    assert registration["ok"], registration
    assert registration["client_id"].startswith("dcr-") and registration["has_secret"]
