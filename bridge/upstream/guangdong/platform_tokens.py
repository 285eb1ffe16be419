"""Guangdong platform tokens for portal backends: the bridge obtains one from the
platform's token endpoint with a bridge-signed JWT assertion, the RFC 7523 §2.1
authorization grant, as the platform accepts it (the token exchange grant, RFC 8693,
calls this for a `jwt_bearer` target).

The assertion names the resident's pairwise `sub` at the platform's sector (the `sub`
the platform bound at sign-in); the platform verifies it against the bridge's JWKS. Its
answers become the bridge's own errors with fixed descriptions; what it said goes to
the log only.
"""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import structlog

from bridge.errors import (
    InvalidGrantError,
    InvalidScopeError,
    OAuthError,
    ServerError,
    TemporarilyUnavailableError,
)
from bridge.model import ObtainedToken
from bridge.wire import GRANT_JWT_BEARER, TOKEN_TYPE_BEARER

log = structlog.get_logger(__name__)

MAX_RESPONSE_BYTES = 16 * 1024


def _refusal(target: str, name: str, status: int, error: object) -> OAuthError:
    detail = f"{target}: HTTP {status} error={error!r:.80}"
    if status >= 500:
        return TemporarilyUnavailableError(f"The {name} is unavailable", detail=detail)
    if error == "invalid_grant":
        return InvalidGrantError(
            f"The {name} has no account bound to this resident, or refused the grant",
            detail=detail,
        )
    if error == "invalid_scope":
        return InvalidScopeError(f"The {name} refused the requested scope", detail=detail)
    return ServerError(f"The {name} refused the bridge's request", detail=detail)


class PlatformTokens:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def obtain(
        self,
        *,
        token_endpoint: str,
        target: str,
        display_name: str,
        assertion: str,
        scopes: Sequence[str],
    ) -> ObtainedToken:
        """A token for `target` (its audience name), from `token_endpoint`;
        `display_name` names it in error descriptions."""
        form = {"grant_type": GRANT_JWT_BEARER, "assertion": assertion}
        if scopes:
            form["scope"] = " ".join(scopes)
        try:
            response = await self._http.post(
                token_endpoint, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise TemporarilyUnavailableError(
                f"The {display_name} could not be reached",
                detail=f"{target}: {type(exc).__name__}",
            ) from None
        try:
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise ValueError("oversized")
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 500:
                raise _refusal(target, display_name, response.status_code, None)
            raise ServerError(
                f"The {display_name} answered something the bridge cannot use",
                detail=f"{target}: HTTP {response.status_code}, not a JSON object",
            )
        if response.status_code != 200:
            log.warning(
                "exchange.target_refused",
                target=target,
                status=response.status_code,
                error=str(body.get("error"))[:80],
            )
            raise _refusal(target, display_name, response.status_code, body.get("error"))
        token, token_type = body.get("access_token"), body.get("token_type")
        expires_in = body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(token_type, str):
            raise ServerError(
                f"The {display_name} answered something the bridge cannot use",
                detail=f"{target}: token response without access_token/token_type",
            )
        return ObtainedToken(
            access_token=token,
            token_type=TOKEN_TYPE_BEARER if token_type.lower() == "bearer" else token_type,
            expires_in=expires_in if isinstance(expires_in, int) and expires_in > 0 else None,
        )
