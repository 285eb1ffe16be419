"""A scripted OIDC relying party for protocol tests at the bridge's endpoints."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlencode

import httpx

from tests.support.client_tls import TRUSTED


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class AuthorizationRequest:
    url: str
    verifier: str
    state: str
    nonce: str
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class RelyingParty:
    issuer: str
    client_id: str = "test-portal"
    secret: str = "test-portal-secret"
    redirect_uri: str = "https://portal.test/callback"

    def authorization_request(self, **overrides: str | None) -> AuthorizationRequest:
        verifier = secrets.token_urlsafe(48)
        state, nonce = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        params: dict[str, str | None] = {
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "response_type": "code",
            "scope": "openid profile",
            "state": state,
            "nonce": nonce,
            "code_challenge": s256(verifier),
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        present = {k: v for k, v in params.items() if v is not None}
        url = f"{self.issuer}/authorize?{urlencode(present)}"
        return AuthorizationRequest(url, verifier, state, nonce, present)

    def redeem(
        self,
        code: str,
        verifier: str,
        *,
        auth: str = "basic",
        redirect_uri: str | None = None,
        secret: str | None = None,
        client_id: str | None = None,
    ) -> httpx.Response:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.redirect_uri,
            "code_verifier": verifier,
        }
        client_id = client_id or self.client_id
        secret = self.secret if secret is None else secret
        basic = None
        if auth == "basic":
            basic = httpx.BasicAuth(client_id, secret)
        else:
            form.update(client_id=client_id, client_secret=secret)
        return httpx.post(f"{self.issuer}/token", data=form, auth=basic, timeout=10, verify=TRUSTED)

    def userinfo(self, access_token: str) -> httpx.Response:
        return httpx.get(
            f"{self.issuer}/userinfo",
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
            verify=TRUSTED,
        )
