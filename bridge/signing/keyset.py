"""The published key set (RFC 7517 §5): the key that signs and every key a verifier may
meet. Keys about to sign (`next`) and keys recently retired are published beside the
active one, so a verifier holding a cached copy always finds the key it needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import KeySet as JoseKeySet

from bridge.signing.keys import SigningKey


@dataclass(frozen=True)
class KeySet:
    active: SigningKey
    """The key of the default algorithm: what signs when nobody chose an algorithm."""
    others: Sequence[SigningKey] = ()
    """Every other published key: the active keys of the other algorithms (in
    `signers`), keys about to sign, keys recently retired."""
    version: int = 0
    """Generation of the shared key set this was read from (0: not from the shared set)."""
    on_unknown_kid: Callable[[str], None] | None = field(default=None, compare=False, repr=False)
    """Told about every lookup of a kid this set does not hold (a metric: a verifier
    that meets unknown kids is looking at tokens signed by keys we never published)."""

    signers: Mapping[str, SigningKey] = field(default_factory=dict)
    """The active key of each algorithm (the default's included)."""

    def signer(self, alg: str | None = None) -> SigningKey:
        """The key that signs for `alg`. An algorithm whose lane has no active key yet (it
        was enabled a moment ago, and the schedule starts the lane at its next step) signs
        with the default key rather than not at all."""
        if alg is None or alg == self.active.alg:
            return self.active
        return self.signers.get(alg, self.active)

    @property
    def algorithms(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.active.alg, *self.signers)))

    @property
    def all(self) -> tuple[SigningKey, ...]:
        return (self.active, *self.others)

    def by_kid(self, kid: str) -> SigningKey | None:
        found = next((k for k in self.all if k.kid == kid), None)
        if found is None and self.on_unknown_kid is not None:
            self.on_unknown_kid(kid)
        return found

    def jwks(self) -> dict[str, Any]:
        return {"keys": [k.public_jwk() for k in self.all]}

    def verification_keys(self) -> JoseKeySet:
        return JoseKeySet([k.key for k in self.all])

    @property
    def has_development_keys(self) -> bool:
        return any(k.development for k in self.all)
