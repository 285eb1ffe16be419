"""Remembered consents: what a resident allowed each client, and until when.

One sealed record per resident (the resident's pairwise identifier at the bridge's own
sector, never an upstream identifier), holding one entry per client. A single record
lets the resident's consent page list every client in one read; the key-value contract
has no sets or scans to find per-client keys. The record lives as long as its
longest-lived entry (every value in the store has a TTL).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bridge.store.records import _Sealed, key

MAX_GRANTS = 20
"""Grant ids kept per consent (the newest), so withdrawal can revoke live tokens."""


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RememberedConsent(_Record):
    client_id: str
    subject: str
    """The resident's pairwise `sub` at this client (what the audit trail names)."""
    claims: tuple[str, ...]
    """The claim names the resident allowed; a request for any other asks again."""
    decided_at: float
    expires_at: float
    grant_ids: tuple[str, ...] = ()


class ConsentLedger(_Record):
    resident: str
    entries: dict[str, RememberedConsent]
    expires_at: float

    def live(self, now: float) -> dict[str, RememberedConsent]:
        return {cid: e for cid, e in self.entries.items() if e.expires_at > now}


class RememberedConsents(_Sealed):
    async def get(self, resident: str) -> ConsentLedger | None:
        k = key("consents", resident)
        return self._decode(k, await self._backend.get(k), ConsentLedger)

    async def put(self, ledger: ConsentLedger) -> None:
        """Store the ledger, or delete it when no entry is live."""
        k = key("consents", ledger.resident)
        live = ledger.live(self._clock.now())
        if not live:
            await self._backend.delete(k)
            return
        trimmed = ConsentLedger(
            resident=ledger.resident,
            entries=live,
            expires_at=max(e.expires_at for e in live.values()),
        )
        await self._backend.put(k, self._encode(k, trimmed), self._ttl(trimmed.expires_at))
