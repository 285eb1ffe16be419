"""Remembered consents: what a resident allowed each client, and until when.

One sealed record per resident (the resident's pairwise identifier at the bridge's own
sector, never an upstream identifier), holding one entry per client. A single record
lets the resident's consent page list every client in one read. The record lives as
long as its longest-lived entry (every value in the store has a TTL).

Several instances may change one resident's record at once (two sign-ins finishing
together each add a grant id): `update` is an optimistic read-modify-write on the
store's compare-and-set, so neither change is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from bridge.errors import StoreError
from bridge.store.record_base import _Sealed, key

MAX_GRANTS = 20
"""Grant ids kept per consent (the newest), so withdrawal can revoke live tokens."""
MAX_ATTEMPTS = 16
"""Compare-and-set attempts before giving up: each lost race means another writer
succeeded, so this many in a row only happens under a storm on one resident."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RememberedConsent(_Record):
    client_id: str
    subject: str
    """The resident's pairwise `sub` at this client (what the audit trail names)."""
    claims: tuple[str, ...]
    """The claim names the resident allowed; a request for any other asks again."""
    scopes: tuple[str, ...] = ()
    """The scopes of the request the resident allowed (`offline_access` among them or
    not); a request for any other asks again. Empty in records from before scopes were
    kept: those cover no request, so the resident is asked once more."""
    decided_at: float
    expires_at: float
    grant_ids: tuple[str, ...] = ()


class ConsentLedger(_Record):
    resident: str
    entries: dict[str, RememberedConsent]
    expires_at: float

    def live(self, now: float) -> dict[str, RememberedConsent]:
        return {cid: e for cid, e in self.entries.items() if e.expires_at > now}


Change = Callable[[ConsentLedger], ConsentLedger]


class ConsentStore(Protocol):
    """Where remembered consents are kept: this module's store on the key-value backend
    (memory or Redis), or PostgreSQL (`bridge.durable.consents`) where they must outlive
    Redis."""

    async def get(self, resident: str) -> ConsentLedger | None: ...

    async def update(self, resident: str, change: Change) -> ConsentLedger:
        """Apply `change` to the resident's ledger (an empty one if there is none) and
        store the result — or delete the record when no entry is live — atomically with
        respect to every other `update`. Returns the ledger as stored. `change` may run
        more than once (after a lost race), so it must not have other effects."""
        ...


def trimmed(ledger: ConsentLedger, now: float) -> ConsentLedger | None:
    """The ledger without expired entries, living as long as its longest entry; None
    when nothing is live."""
    live = ledger.live(now)
    if not live:
        return None
    return ConsentLedger(
        resident=ledger.resident,
        entries=live,
        expires_at=max(e.expires_at for e in live.values()),
    )


class RememberedConsents(_Sealed):
    async def get(self, resident: str) -> ConsentLedger | None:
        k = key("consents", resident)
        return self._decode(k, await self._backend.get(k), ConsentLedger)

    async def update(self, resident: str, change: Change) -> ConsentLedger:
        """Apply `change` to the resident's ledger (an empty one if there is none) and
        store the result — or delete the record when no entry is live — atomically with
        respect to every other `update`. Returns the ledger as stored."""
        k = key("consents", resident)
        for _ in range(MAX_ATTEMPTS):
            raw = await self._backend.get(k)
            found = self._decode(k, raw, ConsentLedger)
            current = found or ConsentLedger(resident=resident, entries={}, expires_at=0)
            changed = trimmed(change(current), self._clock.now())
            blob = None if changed is None else self._encode(k, changed)
            ttl = self._ttl(changed.expires_at) if changed is not None else 1.0
            if await self._backend.compare_and_set(k, raw, blob, ttl):
                return changed or ConsentLedger(resident=resident, entries={}, expires_at=0)
        raise StoreError("remembered consents changed too often to update")
