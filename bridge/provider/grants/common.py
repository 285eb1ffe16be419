"""What the grants share: lifetimes, required parameters, scope narrowing, and issuing
the tokens of a grant (access, ID and, for offline access, refresh tokens)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bridge.errors import InvalidRequestError, InvalidScopeError, quoted
from bridge.model import Grant
from bridge.provider.clients import Client
from bridge.store.refresh_tokens import RefreshTokens
from bridge.tokens.issuer import TokenIssuer
from bridge.wire import SCOPE_OFFLINE_ACCESS, SCOPE_OPENID, TOKEN_TYPE_BEARER


@dataclass(frozen=True, slots=True)
class TokenLifetimes:
    access_token: int
    id_token: int
    code: int
    refresh_token: int = 43200
    refresh_family: int = 604800
    exchanged_token: int = 300
    outbound_assertion: int = 60


def required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise InvalidRequestError(f"{name} is required")
    return value


def narrowed_scopes(requested: str | None, granted: Collection[str]) -> tuple[str, ...]:
    """RFC 6749 §6, RFC 8693 §2.1: a request may name fewer scopes, never others."""
    if requested is None:
        return tuple(granted)
    scopes = tuple(dict.fromkeys(requested.split()))
    if not scopes:
        raise InvalidScopeError("scope is empty")
    extra = [s for s in scopes if s not in granted]
    if extra:
        raise InvalidScopeError(f"Scope {quoted(extra[0])} exceeds what was granted")
    return scopes


def wants_refresh_token(client: Client, scopes: Sequence[str]) -> bool:
    """OIDC Core §11: only clients registered for offline access, when asked."""
    return client.offline_access and SCOPE_OFFLINE_ACCESS in scopes


class TokenMinter:
    """Issues the tokens of one grant; shared by the code and refresh grants."""

    def __init__(
        self, *, issuer: TokenIssuer, refresh_tokens: RefreshTokens, lifetimes: TokenLifetimes
    ) -> None:
        self._issuer = issuer
        self._refresh_tokens = refresh_tokens
        self.lifetimes = lifetimes

    def tokens(
        self,
        grant: Grant,
        scopes: Sequence[str],
        *,
        nonce: str | None = None,
        id_token_alg: str | None = None,
    ) -> dict[str, Any]:
        access_token = self._issuer.access_token(
            client_id=grant.client_id,
            subject=grant.subject,
            scopes=scopes,
            grant_id=grant.grant_id,
            auth_time=grant.auth_time,
            acr=grant.acr,
            ttl=self.lifetimes.access_token,
        )
        body: dict[str, Any] = {
            "access_token": access_token,
            "token_type": TOKEN_TYPE_BEARER,
            "expires_in": self.lifetimes.access_token,
            "scope": " ".join(scopes),
        }
        if SCOPE_OPENID in scopes:
            body["id_token"] = self._issuer.id_token(
                client_id=grant.client_id,
                subject=grant.subject,
                nonce=nonce,
                auth_time=grant.auth_time,
                acr=grant.acr,
                ttl=self.lifetimes.id_token,
                access_token=access_token,
                grant_id=grant.grant_id,
                alg=id_token_alg,
                extra={"sid": grant.sid} if grant.sid else None,
            )
        return body

    async def refresh_token(
        self, grant: Grant, scopes: Sequence[str], family_expires_at: float
    ) -> str:
        token, _ = await self._refresh_tokens.issue(
            grant_id=grant.grant_id,
            client_id=grant.client_id,
            scopes=scopes,
            family_expires_at=family_expires_at,
            ttl=self.lifetimes.refresh_token,
        )
        return token
