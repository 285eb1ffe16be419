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

from bridge.audit.log import AuditLog
from bridge.audit.records import GENESIS, StoredRecord, Value, chained
from bridge.audit.trail import LogAuditTrail
from bridge.clock import Clock
from bridge.errors import StoreError

_MAX_ATTEMPTS = 50
"""Each failed attempt means another instance appended in between; fifty in a row
means something is wrong, not busy."""

EVENT_CONSENT = "consent.decided"
EVENT_WITHDRAWN = "consent.withdrawn"
EVENT_RELEASE = "attributes.released"
EVENT_EXCHANGE = "token.exchanged"


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
        # One append at a time per instance: concurrent requests of one process would
        # otherwise all chain onto the same head and retry against each other. Between
        # instances the log's compare-and-append decides.
        self._lock = asyncio.Lock()

    @property
    def log(self) -> AuditLog:
        return self._log

    async def _append(self, event: dict[str, Value]) -> StoredRecord:
        async with self._lock:
            return await self._append_locked(event)

    async def _append_locked(self, event: dict[str, Value]) -> StoredRecord:
        if not self._head_known:
            self._head, self._head_known = await self._log.head(), True
        for _ in range(_MAX_ATTEMPTS):
            head = self._head
            seq = head.seq + 1 if head else 1
            prev = head.digest if head else GENESIS
            body, digest = chained(event, seq=seq, prev=prev, at=self._clock.now())
            conflict = await self._log.append(prev, body, digest)
            if conflict is None:
                self._head = StoredRecord("", body, digest)
                return self._head
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
