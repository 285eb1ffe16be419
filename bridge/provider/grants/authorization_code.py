"""The authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

A code is consumed before anything else is checked, so it can never be tried twice;
a replayed code revokes the grant and with it every token issued from it (§4.1.2).
A client registered for offline access that asked for it also gets a refresh token
(OIDC Core §11); the grant then lives until the refresh family's absolute end.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from bridge.clock import Clock
from bridge.errors import InvalidGrantError
from bridge.model import AuthorizationCode, Grant
from bridge.provider import pkce
from bridge.provider.clients import Client
from bridge.provider.grants.common import TokenMinter, required, wants_refresh_token
from bridge.store.records import Codes, Grants, ReplayedCode
from bridge.wire import GRANT_AUTHORIZATION_CODE

log = structlog.get_logger(__name__)


class AuthorizationCodeGrant:
    grant_type = GRANT_AUTHORIZATION_CODE

    def __init__(self, *, codes: Codes, grants: Grants, minter: TokenMinter, clock: Clock) -> None:
        self._codes = codes
        self._grants = grants
        self._minter = minter
        self._clock = clock

    async def _redeem(self, client: Client, code: str) -> tuple[AuthorizationCode, Grant | None]:
        lifetimes = self._minter.lifetimes
        result, grant = await self._codes.redeem_with_grant(
            code, remember_for=lifetimes.code + lifetimes.access_token
        )
        if isinstance(result, ReplayedCode):
            await self._grants.revoke(result.grant_id)
            log.warning(
                "security.code_replayed", client_id=client.client_id, grant_id=result.grant_id
            )
            raise InvalidGrantError(
                "The authorization code has already been used; its tokens are revoked"
            )
        if result is None:
            raise InvalidGrantError("The authorization code is invalid or has expired")
        return result, grant

    async def __call__(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        code = required(form, "code")
        redirect_uri = required(form, "redirect_uri")
        verifier = required(form, "code_verifier")
        record, grant = await self._redeem(client, code)
        if record.client_id != client.client_id:
            raise InvalidGrantError(
                "The authorization code was issued to another client",
                detail=f"code of {record.client_id} presented by {client.client_id}",
            )
        if record.redirect_uri != redirect_uri:
            raise InvalidGrantError("redirect_uri differs from the authorization request")
        if not pkce.verifier_matches(verifier, record.code_challenge):
            raise InvalidGrantError("PKCE verification failed (code_verifier)")
        if grant is None:
            raise InvalidGrantError("The grant behind this code was revoked")
        body = self._minter.tokens(
            grant,
            record.scopes,
            nonce=record.nonce,
            id_token_alg=client.id_token_signed_response_alg,
        )
        if wants_refresh_token(client, record.scopes):
            family_ends = self._clock.now() + self._minter.lifetimes.refresh_family
            grant = grant.model_copy(update={"expires_at": family_ends})
            await self._grants.put(grant)
            body["refresh_token"] = await self._minter.refresh_token(
                grant, record.scopes, family_ends
            )
        log.info(
            "token.issued",
            client_id=client.client_id,
            grant=GRANT_AUTHORIZATION_CODE,
            grant_id=record.grant_id,
            refresh="refresh_token" in body,
        )
        return body
