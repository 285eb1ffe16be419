"""What every typed store is built from: key names (`bridge:<kind>:<id>`, with the
Cluster hash tags that keep a code beside its grant), digests of secrets, and sealing
a pydantic record under its key. Kept apart from `records.py` so the stores in their
own modules (accounts, consents, refresh tokens…) and `records.Stores`, which builds
them all, do not import each other."""

from __future__ import annotations

import hashlib
from typing import TypeVar

from pydantic import BaseModel

from bridge.clock import Clock
from bridge.store.backend import KeyValueBackend
from bridge.store.sealing import Sealer

R = TypeVar("R", bound=BaseModel)


def key(kind: str, ident: str) -> str:
    return f"bridge:{kind}:{ident}"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def grant_id_for_code(code: str) -> str:
    """A grant is named after the code that created it, so a replayed code finds its
    grant without a second lookup."""
    return digest(code)[:32]


def grant_key(grant_id: str) -> str:
    return key("grant", "{" + grant_id + "}")


def code_key(code: str) -> str:
    """In the grant's hash slot: `{grant id}` is the first half of the code's digest."""
    whole = digest(code)
    return key("code", "{" + whole[:32] + "}" + whole[32:])


class _Sealed:
    def __init__(self, backend: KeyValueBackend, sealer: Sealer, clock: Clock) -> None:
        self._backend = backend
        self._sealer = sealer
        self._clock = clock

    def _ttl(self, expires_at: float) -> float:
        return max(expires_at - self._clock.now(), 0.001)

    def _encode(self, k: str, record: BaseModel) -> bytes:
        return self._sealer.seal(record.model_dump_json().encode(), k)

    def _decode(self, k: str, blob: bytes | None, model: type[R]) -> R | None:
        if blob is None:
            return None
        record = model.model_validate_json(self._sealer.open(blob, k))
        expires_at: float = getattr(record, "expires_at")  # noqa: B009 - every record has it
        return record if expires_at > self._clock.now() else None
