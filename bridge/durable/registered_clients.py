"""Dynamically registered clients (RFC 7591) in PostgreSQL: the `ClientStore` of
`bridge.store.registered_clients` without its ten-year-TTL trick, since a row stays
until it is deleted. Initial access tokens stay in the key-value store: they are
short-lived by design.

`written_at` is the time of the last write; `expires_at` is 0 (no expiry here).
"""

from __future__ import annotations

from bridge.clock import Clock
from bridge.durable.database import Database, unavailable_as_store_error
from bridge.store.record_base import key
from bridge.store.registered_clients import RegisteredClient
from bridge.store.sealing import Sealer


class PostgresClientStore:
    def __init__(self, database: Database, sealer: Sealer, clock: Clock) -> None:
        self._db = database
        self._sealer = sealer
        self._clock = clock

    def _seal(self, client: RegisteredClient) -> bytes:
        stamped = client.model_copy(update={"written_at": self._clock.now(), "expires_at": 0})
        aad = key("registered-client", client.client_id)
        return self._sealer.seal(stamped.model_dump_json().encode(), aad)

    def _open(self, client_id: str, blob: bytes) -> RegisteredClient:
        aad = key("registered-client", client_id)
        return RegisteredClient.model_validate_json(self._sealer.open(blob, aad))

    @unavailable_as_store_error
    async def get(self, client_id: str) -> RegisteredClient | None:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT record FROM registered_clients WHERE client_id = %s", (client_id,)
            )
            row = await cursor.fetchone()
        return None if row is None else self._open(client_id, row[0])

    @unavailable_as_store_error
    async def all(self) -> list[RegisteredClient]:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "SELECT client_id, record FROM registered_clients ORDER BY client_id"
            )
            rows = await cursor.fetchall()
        return [self._open(client_id, blob) for client_id, blob in rows]

    @unavailable_as_store_error
    async def create(self, client: RegisteredClient) -> bool:
        async with self._db.connection() as conn:
            cursor = await conn.execute(
                "INSERT INTO registered_clients (client_id, record) VALUES (%s, %s) "
                "ON CONFLICT (client_id) DO NOTHING",
                (client.client_id, self._seal(client)),
            )
            return cursor.rowcount == 1

    @unavailable_as_store_error
    async def replace(self, client: RegisteredClient) -> None:
        async with self._db.connection() as conn:
            await conn.execute(
                "INSERT INTO registered_clients (client_id, record) VALUES (%s, %s) "
                "ON CONFLICT (client_id) DO UPDATE SET record = excluded.record, "
                "updated_at = now()",
                (client.client_id, self._seal(client)),
            )

    @unavailable_as_store_error
    async def delete(self, client_id: str) -> None:
        async with self._db.connection() as conn:
            await conn.execute("DELETE FROM registered_clients WHERE client_id = %s", (client_id,))
