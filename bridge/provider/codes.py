"""Issuing an authorization code once the resident has allowed the release
(RFC 6749 §4.1.2): the grant that holds what was released, the code bound to the
client, the redirect URI and the PKCE challenge, and the redirect carrying them
(with RFC 9207 `iss`)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from bridge.clock import Clock
from bridge.model import AuthorizationCode, CodeEnding, Grant, PendingConsent
from bridge.provider.responses import success_redirect
from bridge.store.record_base import grant_id_for_code
from bridge.store.records import Codes, Grants


@dataclass(frozen=True, slots=True)
class IssuedCode:
    location: str
    """The client's redirect URI with `code`, `state` and `iss`."""
    grant_id: str


class CodeIssuer:
    def __init__(
        self,
        *,
        issuer: str,
        grants: Grants,
        codes: Codes,
        clock: Clock,
        code_ttl: int,
        grant_ttl: int,
    ) -> None:
        self._issuer = issuer
        self._grants = grants
        self._codes = codes
        self._clock = clock
        self._code_ttl = code_ttl
        self._grant_ttl = grant_ttl

    async def issue(self, pending: PendingConsent) -> IssuedCode:
        now = self._clock.now()
        code = secrets.token_urlsafe(32)
        grant_id = grant_id_for_code(code)
        request, ending = pending.request, pending.ending
        if not isinstance(ending, CodeEnding):
            raise TypeError("a code is issued only for a code-redirect request")
        await self._grants.put(
            Grant(
                grant_id=grant_id,
                client_id=request.client_id,
                subject=pending.subject,
                scopes=request.scopes,
                claims=pending.claims,
                acr=pending.acr,
                auth_time=pending.auth_time,
                # tokens may be asked for until the code expires, and live grant_ttl
                expires_at=now + self._code_ttl + self._grant_ttl,
                upstream_idp=pending.upstream_idp,
                upstream_subject=pending.upstream_subject,
                sid=pending.sid,
            )
        )
        await self._codes.put(
            code,
            AuthorizationCode(
                client_id=request.client_id,
                redirect_uri=ending.redirect_uri,
                code_challenge=ending.code_challenge,
                code_challenge_method=ending.code_challenge_method,
                grant_id=grant_id,
                subject=pending.subject,
                scopes=request.scopes,
                nonce=ending.nonce,
                acr=pending.acr,
                auth_time=pending.auth_time,
                expires_at=now + self._code_ttl,
            ),
        )
        location = success_redirect(
            ending.redirect_uri, code=code, state=ending.state, issuer=self._issuer
        )
        return IssuedCode(location=location, grant_id=grant_id)
