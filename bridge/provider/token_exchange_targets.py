"""Obtaining a token from another authorization server with a bridge-signed JWT
assertion: the RFC 7523 §2.1 authorization grant, as the Guangdong platform accepts it.

The assertion names the resident's pairwise `sub` at that server's sector (the `sub`
the server bound at sign-in); the server verifies it against the bridge's JWKS. Its
answers become the bridge's own errors with fixed descriptions; what it said goes to
the log only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
import structlog

from bridge.errors import (
    InvalidGrantError,
    InvalidScopeError,
    OAuthError,
    ServerError,
    TemporarilyUnavailableError,
)
from bridge.provider.token_exchange_config import Target
from bridge.wire import GRANT_JWT_BEARER, TOKEN_TYPE_BEARER

log = structlog.get_logger(__name__)

MAX_RESPONSE_BYTES = 16 * 1024


@dataclass(frozen=True, slots=True)
class ObtainedToken:
    access_token: str
    token_type: str
    expires_in: int | None


def _refusal(target: Target, status: int, error: object) -> OAuthError:
    name = target.display_name
    detail = f"{target.name}: HTTP {status} error={error!r:.80}"
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


class JwtBearerClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def obtain(self, target: Target, assertion: str, scopes: Sequence[str]) -> ObtainedToken:
        assert target.token_endpoint is not None  # noqa: S101 - validated with the config
        form = {"grant_type": GRANT_JWT_BEARER, "assertion": assertion}
        if scopes:
            form["scope"] = " ".join(scopes)
        try:
            response = await self._http.post(
                target.token_endpoint, data=form, headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            raise TemporarilyUnavailableError(
                f"The {target.display_name} could not be reached",
                detail=f"{target.name}: {type(exc).__name__}",
            ) from None
        try:
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise ValueError("oversized")
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            if response.status_code >= 500:
                raise _refusal(target, response.status_code, None)
            raise ServerError(
                f"The {target.display_name} answered something the bridge cannot use",
                detail=f"{target.name}: HTTP {response.status_code}, not a JSON object",
            )
        if response.status_code != 200:
            log.warning(
                "exchange.target_refused",
                target=target.name,
                status=response.status_code,
                error=str(body.get("error"))[:80],
            )
            raise _refusal(target, response.status_code, body.get("error"))
        token, token_type = body.get("access_token"), body.get("token_type")
        expires_in = body.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(token_type, str):
            raise ServerError(
                f"The {target.display_name} answered something the bridge cannot use",
                detail=f"{target.name}: token response without access_token/token_type",
            )
        return ObtainedToken(
            access_token=token,
            token_type=TOKEN_TYPE_BEARER if token_type.lower() == "bearer" else token_type,
            expires_in=expires_in if isinstance(expires_in, int) and expires_in > 0 else None,
        )
