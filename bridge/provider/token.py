"""The token endpoint's authorization_code grant (RFC 6749 §4.1.3, OIDC Core §3.1.3).

A code is consumed before anything else is checked, so it can never be tried twice;
a replayed code revokes the grant and with it every token issued from it (§4.1.2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import structlog

from bridge.errors import InvalidGrantError, InvalidRequestError, UnsupportedGrantTypeError
from bridge.model import AuthorizationCode
from bridge.provider import pkce
from bridge.provider.clients import Client
from bridge.store.records import ReplayedCode, Stores
from bridge.tokens.issuer import TokenIssuer
from bridge.wire import GRANT_AUTHORIZATION_CODE, TOKEN_TYPE_BEARER

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access_token: int
    id_token: int
    code: int


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequestError(f"{name} is required")
    return value


class TokenEndpoint:
    def __init__(self, *, stores: Stores, issuer: TokenIssuer, lifetimes: TokenLifetimes) -> None:
        self._stores = stores
        self._issuer = issuer
        self._lifetimes = lifetimes

    async def grant(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        grant_type = _required(form, "grant_type")
        if grant_type == GRANT_AUTHORIZATION_CODE:
            return await self._authorization_code(client, form)
        raise UnsupportedGrantTypeError(f"grant_type {grant_type[:60]} is not supported")

    async def _redeem(self, client: Client, code: str) -> AuthorizationCode:
        result = await self._stores.codes.redeem(
            code, remember_for=self._lifetimes.code + self._lifetimes.access_token
        )
        if isinstance(result, ReplayedCode):
            await self._stores.grants.revoke(result.grant_id)
            log.warning(
                "security.code_replayed", client_id=client.client_id, grant_id=result.grant_id
            )
            raise InvalidGrantError(
                "The authorization code has already been used; its tokens are revoked"
            )
        if result is None:
            raise InvalidGrantError("The authorization code is invalid or has expired")
        return result

    async def _authorization_code(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]:
        code = _required(form, "code")
        redirect_uri = _required(form, "redirect_uri")
        verifier = _required(form, "code_verifier")
        record = await self._redeem(client, code)
        if record.client_id != client.client_id:
            raise InvalidGrantError(
                "The authorization code was issued to another client",
                detail=f"code of {record.client_id} presented by {client.client_id}",
            )
        if record.redirect_uri != redirect_uri:
            raise InvalidGrantError("redirect_uri differs from the authorization request")
        if not pkce.verifier_matches(verifier, record.code_challenge):
            raise InvalidGrantError("PKCE verification failed (code_verifier)")
        grant = await self._stores.grants.get(record.grant_id)
        if grant is None:
            raise InvalidGrantError("The grant behind this code was revoked")
        access_token = self._issuer.access_token(
            client_id=client.client_id,
            subject=record.subject,
            scopes=record.scopes,
            grant_id=record.grant_id,
            auth_time=record.auth_time,
            acr=record.acr,
            ttl=self._lifetimes.access_token,
        )
        id_token = self._issuer.id_token(
            client_id=client.client_id,
            subject=record.subject,
            nonce=record.nonce,
            auth_time=record.auth_time,
            acr=record.acr,
            ttl=self._lifetimes.id_token,
            access_token=access_token,
        )
        log.info(
            "token.issued",
            client_id=client.client_id,
            grant=GRANT_AUTHORIZATION_CODE,
            grant_id=record.grant_id,
        )
        return {
            "access_token": access_token,
            "token_type": TOKEN_TYPE_BEARER,
            "expires_in": self._lifetimes.access_token,
            "id_token": id_token,
            "scope": " ".join(record.scopes),
        }
