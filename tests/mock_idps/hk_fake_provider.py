"""A small fake OpenID Provider for the Hong Kong e-service's relying-party checks.

It stands in for the bridge's external interface only — discovery, JWKS, token (with
client_secret_basic and PKCE S256 checked as an OP would) and UserInfo — so a test can
hand the e-service exactly the ID token it names: a wrong `nonce`, `iss` or `aud`, an
expired one, a forged signature, `alg: none`. The bridge's real behaviour is tested end
to end against the bridge itself.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from joserfc import jwt
from joserfc.jwk import ECKey
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.clock import ManualClock

CLIENT_ID = "hk-eservice-dev"
CLIENT_SECRET = "test-hk-eservice-secret-0123456789"
SUBJECT = "pairwise-mainland-resident"

TokenMaker = Callable[[dict[str, Any]], str]
"""Turns the ID token's claims into the compact JWT the token endpoint returns."""


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_key(kid: str = "k1") -> ECKey:
    return ECKey.generate_key("P-256", parameters={"kid": kid})


@dataclass
class Authorization:
    """What the e-service asked for at `/authorize` (the test reads it off the redirect)."""

    params: dict[str, str]

    @property
    def state(self) -> str:
        return self.params["state"]

    @property
    def nonce(self) -> str:
        return self.params["nonce"]


@dataclass
class FakeProvider:
    clock: ManualClock
    issuer: str = ""
    key: ECKey = field(default_factory=new_key)
    published: list[Any] = field(default_factory=list)
    """Keys in the JWKS; the signing key when empty."""
    algorithms: list[str] = field(default_factory=lambda: ["ES256"])
    advertises_iss: bool = True
    claims: dict[str, Any] = field(default_factory=dict)
    """Changes to the ID token's claims (a `None` value removes the claim)."""
    make_token: TokenMaker | None = None
    userinfo: dict[str, Any] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    _codes: dict[str, Authorization] = field(default_factory=dict)

    def reset(self) -> None:
        self.key, self.published, self.algorithms = new_key(), [], ["ES256"]
        self.advertises_iss, self.claims, self.make_token = True, {}, None
        self.userinfo, self.hits, self.token_requests = {}, {}, []
        self._codes.clear()

    def authorize(self, location: str) -> tuple[Authorization, str]:
        """The request the browser was sent with, and a code for it (the resident approved)."""
        assert location.startswith(f"{self.issuer}/authorize?"), location
        query = parse_qs(urlsplit(location).query)
        assert all(len(values) == 1 for values in query.values()), query
        request = Authorization({name: values[0] for name, values in query.items()})
        code = secrets.token_urlsafe(16)
        self._codes[code] = request
        return request, code

    def id_token_claims(self, request: Authorization) -> dict[str, Any]:
        now = int(self.clock.now())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": SUBJECT,
            "aud": CLIENT_ID,
            "exp": now + 300,
            "iat": now,
            "auth_time": now,
            "nonce": request.nonce,
            "acr": "L2",
            "idp": "guangdong",
        }
        claims.update(self.claims)
        return {name: value for name, value in claims.items() if value is not None}

    def sign(self, claims: dict[str, Any]) -> str:
        if self.make_token is not None:
            return self.make_token(claims)
        return jwt.encode({"alg": "ES256", "kid": self.key.kid}, claims, self.key)

    def document(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks.json",
            "response_types_supported": ["code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": self.algorithms,
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": self.advertises_iss,
        }

    def jwks(self) -> dict[str, Any]:
        keys = self.published or [self.key]
        return {"keys": [dict(key.as_dict(private=False)) for key in keys]}

    async def _token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        self.token_requests.append({"authorization": request.headers.get("authorization"), **form})
        basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {basic}":
            return JSONResponse({"error": "invalid_client"}, status_code=401)
        authorization = self._codes.pop(form.get("code", ""), None)
        if (
            authorization is None
            or form.get("grant_type") != "authorization_code"
            or form.get("redirect_uri") != authorization.params["redirect_uri"]
            or s256(form.get("code_verifier", "")) != authorization.params["code_challenge"]
        ):
            return JSONResponse({"error": "invalid_grant"}, status_code=400)
        id_token = self.sign(self.id_token_claims(authorization))
        access_token = "at-" + secrets.token_urlsafe(8)
        body = {"access_token": access_token, "token_type": "Bearer", "id_token": id_token}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    def _userinfo(self, request: Request) -> Response:
        if not (request.headers.get("authorization") or "").startswith("Bearer at-"):
            return JSONResponse({"error": "invalid_token"}, status_code=401)
        claims = {"sub": SUBJECT, "name": "李小明", "name#zh-Hans": "李小明", **self.userinfo}
        return JSONResponse(claims)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        request = Request(scope, receive)
        path = request.url.path
        self.hits[path] = self.hits.get(path, 0) + 1
        response: Response
        if path == "/.well-known/openid-configuration":
            response = JSONResponse(self.document())
        elif path == "/jwks.json":
            response = JSONResponse(self.jwks())
        elif path == "/token" and request.method == "POST":
            response = await self._token(request)
        elif path == "/userinfo":
            response = self._userinfo(request)
        else:
            response = Response(status_code=404)
        await response(scope, receive, send)
