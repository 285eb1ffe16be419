"""Recording what crossed the boundary: who (pairwise subject), when, which fields,
which client, which purpose — never the values.

`AuditTrail` is the interface every part of the bridge records through; this first
implementation writes structured `audit.*` events to the log. A tamper-evident trail
(hash-chained, kept in Redis Streams) implements the same interface.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import structlog


class AuditTrail(Protocol):
    async def consent_decided(
        self, *, subject: str, client_id: str, claims: Collection[str], allowed: bool
    ) -> None:
        """The resident allowed or denied releasing `claims` to `client_id`."""
        ...

    async def attributes_released(
        self, *, subject: str, client_id: str, claims: Collection[str], grant_id: str
    ) -> None:
        """Claim values were handed to a client (UserInfo, or tokens carrying them)."""
        ...

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
        """A token for `subject` was exchanged (RFC 8693) by `client_id`."""
        ...


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

    async def attributes_released(
        self, *, subject: str, client_id: str, claims: Collection[str], grant_id: str
    ) -> None:
        self._log.info(
            "audit.release",
            subject=subject,
            client_id=client_id,
            claims=sorted(claims),
            grant_id=grant_id,
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
        self._log.info(
            "audit.token_exchange",
            subject=subject,
            client_id=client_id,
            audiences=list(audiences),
            scopes=list(scopes),
            issued_token_type=issued_token_type,
            actor=actor,
        )
