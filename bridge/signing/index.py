"""The key set's index, `keys/signing/keyset.json`: which keys exist, in which state.

The keys of one algorithm form a lane (RS256 always; ES256 and EdDSA when enabled): a
client chooses the algorithm of its ID tokens, so each algorithm has its own signing
key. In each lane a key is `next` (published, not signing), then `active` (signs), then
`retired` (published for verification only), then removed. Its kid goes on the `removed` list so
it can never come back (kids are RFC 7638 thumbprints, and a kid names one key forever).
The index holds public keys only; the private halves are in one file per key.
`version` grows by one at every change, so an instance sees at a glance whether the
shared key set moved.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bridge.errors import SigningKeyError
from bridge.signing.keys import Algorithm

State = Literal["next", "active", "retired"]
STATE_ORDER: dict[State, int] = {"next": 0, "active": 1, "retired": 2}


class KeyEntry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kid: str = Field(min_length=1)
    alg: Algorithm
    state: State
    file: str
    created_at: float
    """When the key was made, and published (it is published as `next` at once)."""
    activated_at: float | None = None
    retired_at: float | None = None
    development: bool = False
    public_jwk: dict[str, Any] | None = None
    """The public half, so listing and exporting need neither the private key nor the
    key-encryption key. Absent in indexes written before encryption."""

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        # The index may be edited by hand: it must not point outside keys/signing/.
        if not value or "/" in value or "\\" in value or value.startswith("."):
            raise ValueError("must be a plain file name inside keys/signing/")
        return value

    @property
    def since(self) -> float:
        """When this key entered its current state."""
        if self.state == "active":
            return self.activated_at if self.activated_at is not None else self.created_at
        if self.state == "retired":
            return self.retired_at if self.retired_at is not None else self.created_at
        return self.created_at


class KeyIndex(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 0
    keys: tuple[KeyEntry, ...] = ()
    removed: tuple[str, ...] = ()
    """Kids of keys that were removed: never to be used again."""

    def in_state(self, state: State) -> Iterator[KeyEntry]:
        return (k for k in self.keys if k.state == state)

    @property
    def lanes(self) -> tuple[Algorithm, ...]:
        """The algorithms that have keys, in the order they first appear."""
        return tuple(dict.fromkeys(k.alg for k in self.keys))

    def _in_lane(self, alg: str, state: State) -> Iterator[KeyEntry]:
        return (k for k in self.keys if k.alg == alg and k.state == state)

    def active_for(self, alg: str) -> KeyEntry | None:
        """The key that signs for `alg` (at most one: checked by `problems()`)."""
        return next(self._in_lane(alg, "active"), None)

    def next_for(self, alg: str) -> KeyEntry | None:
        return next(self._in_lane(alg, "next"), None)

    @property
    def actives(self) -> tuple[KeyEntry, ...]:
        return tuple(self.in_state("active"))

    @property
    def retired(self) -> tuple[KeyEntry, ...]:
        return tuple(self.in_state("retired"))

    def problems(self) -> list[str]:
        found = []
        if not self.actives:
            found.append("the key set must have an active key (it has none)")
        for alg in self.lanes:
            actives = sum(1 for _ in self._in_lane(alg, "active"))
            if actives > 1:
                found.append(f"the key set may have one active {alg} key (it has {actives})")
            if sum(1 for _ in self._in_lane(alg, "next")) > 1:
                found.append(f"the key set may have at most one next {alg} key")
        kids = [k.kid for k in self.keys]
        if len(set(kids)) != len(kids):
            found.append("a kid appears twice")
        for kid in sorted(set(kids) & set(self.removed)):
            found.append(f"kid {kid} was removed and must not be used again")
        return found

    def ordered(self) -> tuple[KeyEntry, ...]:
        """next, active, then retired keys newest first: the order `list` shows."""
        return tuple(sorted(self.keys, key=lambda k: (STATE_ORDER[k.state], -k.since)))

    def to_json(self) -> bytes:
        return (self.model_dump_json(indent=2, exclude_none=True) + "\n").encode()


def parse_index(raw: bytes, where: str) -> KeyIndex:
    try:
        index = KeyIndex.model_validate_json(raw)
    except ValidationError as exc:
        details = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise SigningKeyError(f"{where} is not a valid key index: {details}") from None
    problems = index.problems()
    if problems:
        raise SigningKeyError(f"{where}: {'; '.join(problems)}")
    return index
