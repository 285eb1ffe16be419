"""The UserInfo endpoint (OIDC Core §5.3): the claims the resident released to this
client, for as long as the grant behind the access token lives."""

from __future__ import annotations

from typing import Any

from bridge.errors import InsufficientScopeError, InvalidTokenError
from bridge.provider.bearer import challenge
from bridge.store.records import Grants
from bridge.tokens.verifier import AccessTokenVerifier
from bridge.wire import SCOPE_OPENID


async def userinfo(token: str, verifier: AccessTokenVerifier, grants: Grants) -> dict[str, Any]:
    try:
        access = verifier.verify(token)
    except InvalidTokenError as error:
        error.www_authenticate = challenge(error)
        raise
    if SCOPE_OPENID not in access.scopes:
        insufficient = InsufficientScopeError("The access token lacks the openid scope")
        insufficient.www_authenticate = challenge(insufficient)
        raise insufficient
    grant = await grants.get(access.grant_id)
    if grant is None or grant.client_id != access.client_id or grant.subject != access.subject:
        revoked = InvalidTokenError("The access token has been revoked")
        revoked.www_authenticate = challenge(revoked)
        raise revoked
    return {**grant.claims, "sub": grant.subject}
