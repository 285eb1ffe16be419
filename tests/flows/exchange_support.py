"""The chain of `conftest.running_chain` set up for token exchange, refresh,
introspection, revocation and private_key_jwt: portal clients with exchange policies,
a trusted issuer the tests sign for, and a real HTTP server publishing the JWK Sets of
that issuer and of the private_key_jwt clients (so key fetching, caching and refetching
run for real).

Clients (written to a temporary clients.yaml):

- `portal-a`: secret auth, offline access, may exchange for every target, accepts the
  partner issuer and tokens of `portal-c`, may delegate;
- `portal-b`: secret auth, no offline access, may exchange only for `yss-api`;
- `portal-c`: secret auth, may not exchange at all;
- `portal-jwt`: private_key_jwt with its keys at a `jwks_uri`;
- `portal-inline`: private_key_jwt with its keys inline.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from tests.flows.conftest import REPO, Chain, running_chain
from tests.flows.steps import at_iamsmart, choose, consent, location_query
from tests.support.browser import Resident
from tests.support.client_tls import TRUSTED
from tests.support.rp import RelyingParty
from tests.support.servers import serving

EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ID_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:id_token"
JWT_TYPE = "urn:ietf:params:oauth:token-type:jwt"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
PARTNER = "https://partner.test"
API_RESOURCE = "https://api.yss.test/"
PERMITS = {"wong-wing-fung": "H12345678", "lau-chi-ming": "H87654321", "cheung-ka-yan": "H23456789"}
SECRETS = {
    "portal-a": "portal-a-secret",
    "portal-b": "portal-b-secret",
    "portal-c": "portal-c-secret",
}


class JwksServer:
    """Serves `documents[path]` as JSON and counts the requests per path."""

    def __init__(self) -> None:
        self.documents: dict[str, Any] = {}
        self.hits: dict[str, int] = {}
        self.url = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        path = Request(scope, receive).url.path
        self.hits[path] = self.hits.get(path, 0) + 1
        document = self.documents.get(path)
        response: Response = (
            JSONResponse(document) if document is not None else Response(status_code=404)
        )
        await response(scope, receive, send)


def new_key(kid: str | None = None) -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid or secrets.token_hex(8)})


def jwks_of(*keys: ECKey) -> dict[str, Any]:
    return {"keys": [dict(key.as_dict(private=False)) for key in keys]}


def sign(key: ECKey, claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    return jwt.encode({"alg": "ES256", "kid": key.kid, **(header or {})}, claims, key)


@dataclass
class ExchangeChain:
    chain: Chain
    jwks: JwksServer
    partner_key: ECKey
    client_key: ECKey
    inline_key: ECKey
    bound: set[str] = field(default_factory=set)

    @property
    def bridge(self) -> str:
        return self.chain.bridge

    @property
    def now(self) -> int:
        return int(self.chain.bridge_clock.now())

    def advance(self, seconds: float) -> None:
        """Move every system's clock together (iAM Smart checks request timestamps)."""
        for clock in (
            self.chain.bridge_clock,
            self.chain.iamsmart_clock,
            self.chain.guangdong_clock,
        ):
            clock.advance(seconds)

    def rp(self, client_id: str = "portal-a") -> RelyingParty:
        return RelyingParty(
            self.bridge, client_id, SECRETS.get(client_id, ""), "https://portal.test/callback"
        )

    def partner_token(self, **overrides: Any) -> str:
        """A subject token from the trusted partner issuer; override claims or drop
        them with None."""
        claims: dict[str, Any] = {
            "iss": PARTNER,
            "sub": "partner-user-1",
            "aud": self.bridge,
            "iat": self.now,
            "exp": self.now + 300,
            "jti": secrets.token_urlsafe(12),
            "scope": "openid profile",
        }
        claims.update(overrides)
        return sign(self.partner_key, {k: v for k, v in claims.items() if v is not None})

    def client_assertion(
        self, client_id: str = "portal-jwt", key: ECKey | None = None, **overrides: Any
    ) -> str:
        claims: dict[str, Any] = {
            "iss": client_id,
            "sub": client_id,
            "aud": f"{self.bridge}/token",
            "iat": self.now,
            "exp": self.now + 60,
            "jti": secrets.token_urlsafe(12),
        }
        claims.update(overrides)
        key = key or (self.inline_key if client_id == "portal-inline" else self.client_key)
        return sign(key, {k: v for k, v in claims.items() if v is not None})

    def post(
        self,
        path: str,
        data: dict[str, Any],
        client_id: str | None = "portal-a",
        *,
        auth: str = "basic",
    ) -> httpx.Response:
        """POST a form to the bridge, authenticating as `client_id` (None: not at all)."""
        basic = None
        form = dict(data)
        if client_id in ("portal-jwt", "portal-inline"):
            form.update(
                client_assertion_type=ASSERTION_TYPE,
                client_assertion=self.client_assertion(client_id),
            )
        elif client_id is not None and auth == "basic":
            basic = httpx.BasicAuth(client_id, SECRETS[client_id])
        elif client_id is not None:
            form.update(client_id=client_id, client_secret=SECRETS[client_id])
        return httpx.post(f"{self.bridge}{path}", data=form, auth=basic, timeout=10, verify=TRUSTED)

    def exchange(self, client_id: str | None = "portal-a", **form: Any) -> httpx.Response:
        return self.post("/token", {"grant_type": EXCHANGE, **form}, client_id)

    def bind_at_guangdong(self, persona: str = "wong-wing-fung") -> None:
        """The resident signs in to the Guangdong platform once and binds there."""
        if persona in self.bound:
            return
        resident = Resident()
        try:
            qr = at_iamsmart(resident, f"{self.chain.guangdong}/login/iamsmart")
            page = choose(resident, qr, persona)
            if "/consent/" in page.url:
                page = consent(resident, page, "allow")
            if PERMITS.get(persona) and page.html.find("main").get("data-page") == "bind":
                resident.submit(page, fields={"permit_number": PERMITS[persona]})
        finally:
            resident.close()
        self.bound.add(persona)

    def sign_in(
        self,
        client_id: str = "portal-a",
        persona: str = "wong-wing-fung",
        scope: str = "openid profile offline_access",
    ) -> dict[str, Any]:
        """A resident signs in to a portal; the portal redeems the code."""
        rp = self.rp(client_id)
        request = rp.authorization_request(scope=scope)
        resident = Resident()
        try:
            qr = at_iamsmart(resident, request.url)
            page = choose(resident, qr, persona, stop_at=rp.redirect_uri)
            if "/consent/" in page.url:
                page = consent(resident, page, "allow", stop_at=rp.redirect_uri)
            code = location_query(page)["code"]
        finally:
            resident.close()
        response = rp.redeem(code, request.verifier)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        return tokens

    def tokeninfo(self, token: str) -> dict[str, Any]:
        url = f"{self.chain.guangdong}/tif/sso/connect/page/oauth2/tokeninfo"
        info: dict[str, Any] = httpx.get(
            url, params={"access_token": token}, timeout=10, verify=TRUSTED
        ).json()
        return info


def _client(client_id: str, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "client_id": client_id,
        "name": {"en": client_id, "zh-Hant": client_id, "zh-Hans": client_id},
        "purpose": {"en": "Testing", "zh-Hant": "測試", "zh-Hans": "测试"},
        "jurisdiction": {"en": "Guangdong", "zh-Hant": "廣東", "zh-Hans": "广东"},
        "redirect_uris": ["https://portal.test/callback"],
        "upstreams": ["iamsmart"],
        "downstream": "guangdong",
        "allowed_scopes": ["openid", "profile"],
        "allowed_claims": ["name", "birthdate"],
        "sector_identifier": client_id,
    }
    if client_id in SECRETS:
        entry["client_secret_sha256"] = hashlib.sha256(SECRETS[client_id].encode()).hexdigest()
    entry.update(extra)
    return entry


def write_config(tmp_path: Path, jwks_url: str, inline_key: ECKey) -> tuple[Path, Path]:
    base = yaml.safe_load((REPO / "tests/flows/clients.yaml").read_text())
    platform = next(c for c in base["clients"] if c["client_id"] == "gd-platform-dev")
    everything = ["guangdong-platform", "yss-api", "yss-records"]
    clients = [
        platform,
        _client(
            "portal-a",
            allowed_scopes=["openid", "profile", "offline_access"],
            token_exchange={
                "targets": everything,
                "subject_issuers": ["bridge", PARTNER],
                "subject_clients": ["portal-c"],
                "allow_delegation": True,
            },
        ),
        _client("portal-b", token_exchange={"targets": ["yss-api"]}),
        _client("portal-c"),
        _client(
            "portal-jwt",
            token_endpoint_auth_methods=["private_key_jwt"],
            jwks_uri=f"{jwks_url}/portal-jwt.json",
            allowed_scopes=["openid", "profile", "offline_access"],
            token_exchange={"targets": ["guangdong-platform", "yss-api"]},
        ),
        _client(
            "portal-inline",
            token_endpoint_auth_methods=["private_key_jwt"],
            jwks=jwks_of(inline_key),
        ),
    ]
    clients_file = tmp_path / "clients.yaml"
    clients_file.write_text(yaml.safe_dump({"clients": clients}, allow_unicode=True))
    exchange = {
        "trusted_issuers": [
            {
                "issuer": PARTNER,
                "jwks_uri": f"{jwks_url}/partner.json",
                "algorithms": ["ES256"],
                "max_lifetime": 600,
            }
        ],
        "targets": [
            {
                "name": "guangdong-platform",
                "kind": "jwt_bearer",
                "display_name": "Guangdong platform",
                "sector": "guangdong-platform",
                "scopes": ["all"],
                "token_endpoint": "${GUANGDONG_API_URL}/tif/sso/connect/page/oauth2/access_token",
                "assertion_audience": (
                    "${GUANGDONG_PUBLIC_URL}/tif/sso/connect/page/oauth2/access_token"
                ),
            },
            {
                "name": "yss-api",
                "resource": API_RESOURCE,
                "kind": "bridge",
                "display_name": "YSS API",
                "scopes": ["openid", "profile"],
                "sector": "yss-api",
            },
            {
                "name": "yss-records",
                "kind": "bridge",
                "display_name": "YSS records",
                "scopes": ["profile"],
                "signing_alg": "RS256",  # its resource server knows RS256 only
            },
        ],
    }
    exchange_file = tmp_path / "token_exchange.yaml"
    exchange_file.write_text(yaml.safe_dump(exchange))
    return clients_file, exchange_file


@contextmanager
def running_exchange_chain(tmp_path: Path, redis_url: str | None) -> Iterator[ExchangeChain]:
    jwks = JwksServer()
    partner_key, client_key, inline_key = new_key(), new_key(), new_key()
    jwks.documents["/partner.json"] = jwks_of(partner_key)
    jwks.documents["/portal-jwt.json"] = jwks_of(client_key)
    with serving(jwks) as server:
        jwks.url = server.url
        clients_file, exchange_file = write_config(tmp_path, server.url, inline_key)
        overrides = {"clients_file": clients_file, "token_exchange_file": exchange_file}
        with running_chain(tmp_path, redis_url, settings_overrides=overrides) as chain:
            yield ExchangeChain(chain, jwks, partner_key, client_key, inline_key)


@pytest.fixture(scope="module")
def xc(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[ExchangeChain]:
    """One exchange chain per test module (import this fixture into the module)."""
    with running_exchange_chain(tmp_path_factory.mktemp("exchange"), redis_url) as running:
        yield running
