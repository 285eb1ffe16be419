"""The interface every part of the bridge records through: who (pairwise subject), when,
which fields, which client, which purpose — never the values.

`LogAuditTrail` only writes structured `audit.*` log events; `HashChainAuditTrail`
(`bridge.audit.chain`) also keeps each record in a tamper-evident, hash-chained log.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

import structlog


class AuditTrail(Protocol):
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
        """The resident allowed or denied releasing `claims` to `client_id`.

        `remembered_until`: the resident asked the bridge to remember the decision until
        then. `reused`: no new decision was asked for; one remembered earlier applied."""
        ...

    async def consent_withdrawn(
        self, *, subject: str, client_id: str, claims: Collection[str]
    ) -> None:
        """The resident withdrew a remembered consent."""
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
        self,
        *,
        subject: str,
        client_id: str,
        claims: Collection[str],
        allowed: bool,
        remembered_until: float | None = None,
        reused: bool = False,
    ) -> None:
        self._log.info(
            "audit.consent",
            subject=subject,
            client_id=client_id,
            claims=sorted(claims),
            decision="allow" if allowed else "deny",
            remembered_until=remembered_until,
            reused=reused,
        )

    async def consent_withdrawn(
        self, *, subject: str, client_id: str, claims: Collection[str]
    ) -> None:
        self._log.info(
            "audit.consent_withdrawn", subject=subject, client_id=client_id, claims=sorted(claims)
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
