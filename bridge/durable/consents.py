"""Remembered consents in PostgreSQL: the same sealed ledger per resident as the Redis
store (`bridge.store.consents`), updated in a transaction under the row's lock
(`SELECT … FOR UPDATE`) instead of compare-and-set, so concurrent changes from several
instances are applied one after the other and none is lost.

The ledger stays sealed (AES-256-GCM, the row's resident as associated data): a
database dump holds no more than a Redis dump did. A ledger whose every entry has
expired reads as none and is deleted at its next update.
"""

from __future__ import annotations

from bridge.clock import Clock
from bridge.durable.database import Database, unavailable_as_store_error
from bridge.store.consents import Change, ConsentLedger, trimmed
from bridge.store.record_base import key
from bridge.store.sealing import Sealer


class PostgresRememberedConsents:
    def __init__(self, database: Database, sealer: Sealer, clock: Clock) -> None:
        self._db = database
        self._sealer = sealer
        self._clock = clock

    def _open(self, resident: str, blob: bytes | None) -> ConsentLedger | None:
        if blob is None:
            return None
        aad = key("consents", resident)
        ledger = ConsentLedger.model_validate_json(self._sealer.open(blob, aad))
        return ledger if ledger.expires_at > self._clock.now() else None

    @unavailable_as_store_error
    async def get(self, resident: str) -> ConsentLedger | None:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT ledger FROM remembered_consents WHERE resident = %s", (resident,)
            )
            row = await cursor.fetchone()
        return self._open(resident, row[0] if row else None)

    @unavailable_as_store_error
    async def update(self, resident: str, change: Change) -> ConsentLedger:
        empty = ConsentLedger(resident=resident, entries={}, expires_at=0)
        async with self._db.connection() as conn, conn.transaction():
            # The row exists before it is locked, so two first remembers queue on it too.
            await conn.execute(
                "INSERT INTO remembered_consents (resident, ledger, expires_at) "
                "VALUES (%s, NULL, 0) ON CONFLICT (resident) DO NOTHING",
                (resident,),
            )
            cursor = await conn.execute(
                "SELECT ledger FROM remembered_consents WHERE resident = %s FOR UPDATE",
                (resident,),
            )
            row = await cursor.fetchone()
            current = self._open(resident, row[0] if row else None) or empty
            changed = trimmed(change(current), self._clock.now())
            if changed is None:
                await conn.execute(
                    "DELETE FROM remembered_consents WHERE resident = %s", (resident,)
                )
                return empty
            sealed = self._sealer.seal(
                changed.model_dump_json().encode(), key("consents", resident)
            )
            await conn.execute(
                "UPDATE remembered_consents SET ledger = %s, expires_at = %s WHERE resident = %s",
                (sealed, changed.expires_at, resident),
            )
        return changed
