"""A token a client presented, as the bridge found it: a verified JWT access token or a
stored refresh token, each with the grant it belongs to (None: the grant is gone)."""

from __future__ import annotations

from dataclasses import dataclass

from bridge.model import Grant
from bridge.store.refresh_tokens import RefreshToken
from bridge.tokens.verifier import AccessToken


@dataclass(frozen=True, slots=True)
class FoundAccessToken:
    token: AccessToken
    grant: Grant | None
    revoked: bool

    @property
    def client_id(self) -> str:
        return self.token.client_id

    @property
    def active(self) -> bool:
        # The grant is the family: an exchanged token names the grant of its subject
        # token, which may belong to another client and another pairwise `sub`.
        return not self.revoked and self.grant is not None


@dataclass(frozen=True, slots=True)
class FoundRefreshToken:
    token: RefreshToken
    grant: Grant | None

    @property
    def client_id(self) -> str:
        return self.token.client_id

    @property
    def active(self) -> bool:
        return not self.token.consumed and self.grant is not None


Found = FoundAccessToken | FoundRefreshToken
