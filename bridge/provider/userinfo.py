"""The UserInfo endpoint (OIDC Core §5.3): the claims the resident released to this
client, for as long as the grant behind the access token lives — as JSON, or as a JWT
signed with the algorithm the client registered (`userinfo_signed_response_alg`,
§5.3.2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.audit.trail import AuditTrail
from bridge.errors import InsufficientScopeError, InvalidTokenError
from bridge.provider.bearer import challenge
from bridge.provider.clients import ClientRegistry
from bridge.store.records import AccessTokenStatus
from bridge.tokens.issuer import TokenIssuer
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.wire import SCOPE_OPENID


@dataclass(frozen=True, slots=True)
class SignedUserInfo:
    """Sent as `application/jwt`."""

    token: str


@dataclass(frozen=True, slots=True)
class UserInfo:
    claims: dict[str, Any]
    client_id: str

    def answer(
        self, clients: ClientRegistry, issuer: TokenIssuer
    ) -> dict[str, Any] | SignedUserInfo:
        client = clients.get(self.client_id)
        alg = client.userinfo_signed_response_alg if client is not None else None
        if alg is None:
            return self.claims
        return SignedUserInfo(
            issuer.userinfo(client_id=self.client_id, claims=self.claims, alg=alg)
        )


async def userinfo(
    token: str,
    verifier: AccessTokenVerifier,
    access_tokens: AccessTokenStatus,
    audit: AuditTrail | None = None,
) -> UserInfo:
    try:
        access = verifier.verify(token)
    except InvalidTokenError as error:
        error.www_authenticate = challenge(error)
        raise
    if SCOPE_OPENID not in access.scopes:
        insufficient = InsufficientScopeError("The access token lacks the openid scope")
        insufficient.www_authenticate = challenge(insufficient)
        raise insufficient
    grant, revoked_one = await access_tokens.grant_for_access_token(access.grant_id, access.jti)
    if (
        revoked_one
        or grant is None
        or grant.client_id != access.client_id
        or grant.subject != access.subject
    ):
        gone = InvalidTokenError("The access token has been revoked")
        gone.www_authenticate = challenge(gone)
        raise gone
    if audit is not None and grant.claims:
        # The claim values are handed over here: the trail names them, never their values.
        await audit.attributes_released(
            subject=grant.subject,
            client_id=grant.client_id,
            claims=grant.claims.keys(),
            grant_id=grant.grant_id,
        )
    return UserInfo({**grant.claims, "sub": grant.subject}, grant.client_id)
