"""The published key set: the key that signs and every key a verifier may meet."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from joserfc.jwk import KeySet as JoseKeySet

from bridge.signing.keys import SigningKey


@dataclass(frozen=True)
class KeySet:
    active: SigningKey
    others: Sequence[SigningKey] = ()
    """Published for verification only (keys about to sign, keys recently retired)."""

    @property
    def all(self) -> tuple[SigningKey, ...]:
        return (self.active, *self.others)

    def by_kid(self, kid: str) -> SigningKey | None:
        return next((k for k in self.all if k.kid == kid), None)

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.all]}

    def verification_keys(self) -> JoseKeySet:
        return JoseKeySet([k.key for k in self.all])

    @property
    def has_development_keys(self) -> bool:
        return any(k.development for k in self.all)
