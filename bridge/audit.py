"""Recording what crossed the boundary: who, when, which fields, which client — never
the values. This first version writes structured audit events to the log; the
hash-chained trail in Redis Streams builds on the same `AuditTrail` interface."""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import structlog


class AuditTrail(Protocol):
    async def consent_decided(
        self, *, subject: str, client_id: str, claims: Collection[str], allowed: bool
    ) -> None: ...


class LogAuditTrail:
    def __init__(self) -> None:
        self._log = structlog.get_logger("bridge.audit")

    async def consent_decided(
        self, *, subject: str, client_id: str, claims: Collection[str], allowed: bool
    ) -> None:
        self._log.info(
            "audit.consent",
            subject=subject,
            client_id=client_id,
            claims=sorted(claims),
            decision="allow" if allowed else "deny",
        )
