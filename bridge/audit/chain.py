"""The tamper-evident audit trail: every consent decision, attribute release and token
exchange becomes a hash-chained record (`bridge.audit.records`) in an append-only log
(`bridge.audit.log`), and a structured `audit.*` log event as before.

Records hold the pairwise subject, the time, the client, the claim *names*, the
client's purpose and the decision — never a claim value — so the proof of what crossed
the boundary is not itself personal data beyond a pseudonymous identifier.

Recording is part of the action: if a record cannot be appended the error propagates,
so nothing is released that the trail does not show (fail closed).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Sequence

from bridge.audit.log import AuditLog, ChainingLog
from bridge.audit.records import GENESIS, StoredRecord, Value, chained
from bridge.audit.trail import LogAuditTrail
from bridge.clock import Clock
from bridge.errors import StoreError

_GROUP_MAX = 64
"""Records appended together at most (one Lua call; bounds the script's run time)."""

_MAX_ATTEMPTS = 50
"""Each failed attempt means another instance appended in between; fifty in a row
means something is wrong, not busy."""

EVENT_CONSENT = "consent.decided"
EVENT_WITHDRAWN = "consent.withdrawn"
EVENT_RELEASE = "attributes.released"
EVENT_EXCHANGE = "token.exchanged"


def _chain(
    events: list[dict[str, Value]], head: StoredRecord | None, now: float
) -> list[StoredRecord]:
    """`events` as the records that follow `head`, each chaining the one before."""
    prev = head.digest if head else GENESIS
    seq = head.seq + 1 if head else 1
    records = []
    for event in events:
        body, digest = chained(event, seq=seq, prev=prev, at=now)
        records.append(StoredRecord("", body, digest))
        prev, seq = digest, seq + 1
    return records


class HashChainAuditTrail:
    def __init__(
        self,
        log: AuditLog,
        clock: Clock,
        *,
        purpose_of: Callable[[str], str | None] = lambda _client_id: None,
    ) -> None:
        self._log = log
        self._clock = clock
        self._purpose_of = purpose_of
        self._events = LogAuditTrail()
        self._head: StoredRecord | None = None
        self._head_known = False
        # Group commit: records that arrive while an append is in flight wait in
        # `_pending` and go together in the next one — one Lua call, one round trip —
        # instead of queueing for the lock one by one. Concurrent requests of one
        # process would otherwise also chain onto the same head and retry against each
        # other; between instances the log's compare-and-append decides.
        self._lock = asyncio.Lock()
        self._pending: list[tuple[dict[str, Value], asyncio.Future[StoredRecord]]] = []

    @property
    def log(self) -> AuditLog:
        return self._log

    async def _append(self, event: dict[str, Value]) -> StoredRecord:
        mine: asyncio.Future[StoredRecord] = asyncio.get_running_loop().create_future()
        self._pending.append((event, mine))
        async with self._lock:
            if not mine.done():  # nobody took it along in an earlier group
                group, self._pending = self._pending[:_GROUP_MAX], self._pending[_GROUP_MAX:]
                try:
                    stored = await self._append_locked([event for event, _ in group])
                except BaseException as exc:  # fail closed: every waiter sees the failure
                    failure = exc if isinstance(exc, Exception) else StoreError("interrupted")
                    for _, waiter in group:
                        if waiter is not mine:
                            waiter.set_exception(failure)
                    raise
                else:
                    for (_, waiter), record in zip(group, stored, strict=True):
                        waiter.set_result(record)
        return await mine

    async def _append_locked(self, events: list[dict[str, Value]]) -> list[StoredRecord]:
        if isinstance(self._log, ChainingLog):
            now = self._clock.now()
            records = await self._log.append_chained(lambda head: _chain(events, head, now))
            self._head, self._head_known = records[-1], True
            return records
        if not self._head_known:
            self._head, self._head_known = await self._log.head(), True
        for _ in range(_MAX_ATTEMPTS):
            head = self._head
            records = _chain(events, head, self._clock.now())
            conflict = await self._log.append_many(
                head.digest if head else GENESIS, [(r.body, r.digest) for r in records]
            )
            if conflict is None:
                self._head = records[-1]
                return records
            self._head = conflict.head
        raise StoreError(f"audit record not appended after {_MAX_ATTEMPTS} attempts")

    def _base(
        self, event: str, subject: str, client_id: str, claims: Collection[str]
    ) -> dict[str, Value]:
        return {
            "event": event,
            "subject": subject,
            "client_id": client_id,
            "fields": sorted(claims),
            "purpose": self._purpose_of(client_id),
        }

    async def consent_decided(
        self,
        *,
        subject: str,
        client_id: str,
        claims: Collection[str],
        allowed: bool,
        remembered_until: float | None = None,
        reused: bool = False,
    ) -> None:
        record = self._base(EVENT_CONSENT, subject, client_id, claims)
        record["decision"] = "allow" if allowed else "deny"
        record["basis"] = "remembered" if reused else "resident"
        record["remembered_until"] = int(remembered_until) if remembered_until else None
        await self._append(record)
        await self._events.consent_decided(
            subject=subject,
            client_id=client_id,
            claims=claims,
            allowed=allowed,
            remembered_until=remembered_until,
            reused=reused,
        )

    async def consent_withdrawn(
        self, *, subject: str, client_id: str, claims: Collection[str]
    ) -> None:
        record = self._base(EVENT_WITHDRAWN, subject, client_id, claims)
        record["decision"] = "withdraw"
        await self._append(record)
        await self._events.consent_withdrawn(subject=subject, client_id=client_id, claims=claims)

    async def attributes_released(
        self, *, subject: str, client_id: str, claims: Collection[str], grant_id: str
    ) -> None:
        record = self._base(EVENT_RELEASE, subject, client_id, claims)
        record["decision"] = "release"
        record["grant_id"] = grant_id
        await self._append(record)
        await self._events.attributes_released(
            subject=subject, client_id=client_id, claims=claims, grant_id=grant_id
        )

    async def token_exchanged(
        self,
        *,
        subject: str,
        client_id: str,
        audiences: Sequence[str],
        scopes: Sequence[str],
        issued_token_type: str,
        actor: str | None,
    ) -> None:
        record = self._base(EVENT_EXCHANGE, subject, client_id, ())
        record["decision"] = "issue"
        record["scopes"] = list(scopes)
        record["audiences"] = list(audiences)
        record["issued_token_type"] = issued_token_type
        record["actor"] = actor
        await self._append(record)
        await self._events.token_exchanged(
            subject=subject,
            client_id=client_id,
            audiences=audiences,
            scopes=scopes,
            issued_token_type=issued_token_type,
            actor=actor,
        )

    async def aclose(self) -> None:
        await self._log.aclose()
