"""The UserInfo endpoint (OIDC Core §5.3): the claims the resident released to this
client, for as long as the grant behind the access token lives."""

from __future__ import annotations

from typing import Any

from bridge.audit import AuditTrail
from bridge.errors import InsufficientScopeError, InvalidTokenError
from bridge.provider.bearer import challenge
from bridge.store.records import AccessTokenStatus
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.wire import SCOPE_OPENID


async def userinfo(
    token: str,
    verifier: AccessTokenVerifier,
    access_tokens: AccessTokenStatus,
    audit: AuditTrail | None = None,
) -> dict[str, Any]:
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
    return {**grant.claims, "sub": grant.subject}
