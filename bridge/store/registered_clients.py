"""Clients registered through the API (RFC 7591) and the initial access tokens that
allow registering, behind narrow protocols with one implementation over the
`KeyValueBackend` (so on Redis and on memory alike).

The backend's contract is that every value expires. A registered client must not, so
its record is written with a very long TTL (`CLIENT_TTL`, ten years) and written again
with a fresh one whenever it is read by the registry's refresh more than `REFRESH_AFTER`
after its last write: a client in use never comes near its end. Redis must therefore
keep these keys (no eviction policy that drops keys with a TTL, persistence on); a
durable store (PostgreSQL) can implement `ClientStore` without the trick.

Records are sealed like every other record; a client's secret and registration access
token are never stored, only their SHA-256 digests.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from bridge.errors import StoreError
from bridge.store.backend import Get
from bridge.store.record_base import _Sealed, digest, key

CLIENT_TTL = 10 * 365 * 86400
REFRESH_AFTER = 30 * 86400
INDEX_KEY = key("registered-clients", "index")
MAX_ATTEMPTS = 16


class RegisteredClient(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    client_id: str
    metadata: dict[str, Any]
    """The client's registration (`bridge.provider.clients.Client` fields)."""
    registration: dict[str, Any]
    """The RFC 7591 metadata as registered, returned by RFC 7592 reads."""
    registration_token_sha256: str
    issued_at: int
    written_at: float
    expires_at: float


class InitialAccessToken(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uses_left: int
    expires_at: float


class ClientStore(Protocol):
    async def get(self, client_id: str) -> RegisteredClient | None: ...

    async def all(self) -> list[RegisteredClient]: ...

    async def create(self, client: RegisteredClient) -> bool:
        """Store a new client; False if its client_id is taken."""
        ...

    async def replace(self, client: RegisteredClient) -> None: ...

    async def delete(self, client_id: str) -> None: ...


class RegistrationTokens(Protocol):
    async def issue(self, token: str, *, uses: int, ttl: float) -> None: ...

    async def spend(self, token: str) -> bool:
        """Use the token once; False if it is unknown, expired or used up."""
        ...


class KeyValueClientStore(_Sealed):
    def _stamped(self, client: RegisteredClient) -> RegisteredClient:
        now = self._clock.now()
        return client.model_copy(update={"written_at": now, "expires_at": now + CLIENT_TTL})

    async def _write(self, client: RegisteredClient) -> None:
        k = key("registered-client", client.client_id)
        await self._backend.put(k, self._encode(k, self._stamped(client)), CLIENT_TTL)
        await self._backend.set_add(INDEX_KEY, [client.client_id.encode()], CLIENT_TTL)

    async def get(self, client_id: str) -> RegisteredClient | None:
        k = key("registered-client", client_id)
        return self._decode(k, await self._backend.get(k), RegisteredClient)

    async def all(self) -> list[RegisteredClient]:
        ids = sorted(m.decode() for m in await self._backend.set_members(INDEX_KEY))
        keys = [key("registered-client", i) for i in ids]
        blobs = await self._backend.batch([Get(k) for k in keys]) if keys else []
        found = []
        for k, blob in zip(keys, blobs, strict=True):
            client = self._decode(k, blob, RegisteredClient)
            if client is None:
                continue
            if self._clock.now() - client.written_at > REFRESH_AFTER:
                await self._write(client)  # in use: keep it far from its TTL
            found.append(client)
        return found

    async def create(self, client: RegisteredClient) -> bool:
        k = key("registered-client", client.client_id)
        stamped = self._stamped(client)
        if not await self._backend.put_new(k, self._encode(k, stamped), CLIENT_TTL):
            return False
        await self._backend.set_add(INDEX_KEY, [client.client_id.encode()], CLIENT_TTL)
        return True

    async def replace(self, client: RegisteredClient) -> None:
        await self._write(client)

    async def delete(self, client_id: str) -> None:
        await self._backend.delete(key("registered-client", client_id))
        await self._backend.set_remove(INDEX_KEY, [client_id.encode()])


class KeyValueRegistrationTokens(_Sealed):
    """Initial access tokens (RFC 7591 §3), by digest, each good for a number of uses."""

    async def issue(self, token: str, *, uses: int, ttl: float) -> None:
        k = key("registration-token", digest(token))
        record = InitialAccessToken(uses_left=uses, expires_at=self._clock.now() + ttl)
        await self._backend.put(k, self._encode(k, record), ttl)

    async def spend(self, token: str) -> bool:
        k = key("registration-token", digest(token))
        for _ in range(MAX_ATTEMPTS):
            raw = await self._backend.get(k)
            record = self._decode(k, raw, InitialAccessToken)
            if record is None or record.uses_left < 1:
                return False
            left = record.model_copy(update={"uses_left": record.uses_left - 1})
            blob = self._encode(k, left) if left.uses_left else None
            if await self._backend.compare_and_set(k, raw, blob, self._ttl(record.expires_at)):
                return True
        raise StoreError("an initial access token was spent too often at once")
