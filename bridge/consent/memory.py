"""Remembering a resident's consent, and withdrawing it.

A resident who ticks "remember" is not asked again by the same client while the
decision lasts (`BRIDGE_CONSENT_MEMORY_TTL`) — unless the client would now receive a
claim the resident did not agree to, or asks for a scope the resident did not allow: a
remembered consent covers a set of claim names and a set of scopes, and only requests
within both (PDPO DPP3: a new use needs new consent). So `offline_access` — tokens that
outlive the sign-in, OIDC Core §11 — is asked for unless the remembered decision
included it.

Withdrawal ends the memory and revokes the grants issued under it, so tokens already
issued stop working at UserInfo (and refresh tokens of those grants with them), and the
client leaves the bridge sessions those grants were issued in: it is sent a
back-channel logout token.
Every decision, reuse and withdrawal goes to the audit trail.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

import structlog

from bridge.audit.trail import AuditTrail
from bridge.clock import Clock
from bridge.model import Grant
from bridge.provider.subject import pairwise_subject
from bridge.store.consents import MAX_GRANTS, ConsentLedger, ConsentStore, RememberedConsent
from bridge.store.records import Grants

log = structlog.get_logger(__name__)

GrantHook = Callable[[Grant, str], Awaitable[None]]
"""Told of each grant withdrawn (with why): the bridge session it belongs to logs its
client out (back-channel logout)."""

RESIDENT_SECTOR = "bridge:residents"
"""The bridge's own sector: the resident's pairwise identifier for its consent records.
No client ever sees an identifier of this sector."""


class ConsentMemory:
    def __init__(
        self,
        *,
        consents: ConsentStore,
        grants: Grants,
        clock: Clock,
        audit: AuditTrail,
        pairwise_salt: str,
        remember_for: int,
        on_withdrawn: GrantHook | None = None,
    ) -> None:
        self._consents = consents
        self._grants = grants
        self._clock = clock
        self._audit = audit
        self._salt = pairwise_salt
        self.remember_for = remember_for
        self._on_withdrawn = on_withdrawn

    def resident(self, idp: str, upstream_subject: str) -> str:
        return pairwise_subject(
            self._salt, sector=RESIDENT_SECTOR, idp=idp, upstream_subject=upstream_subject
        )

    def until(self) -> float:
        return self._clock.now() + self.remember_for

    async def _ledger(self, resident: str) -> ConsentLedger:
        found = await self._consents.get(resident)
        return found or ConsentLedger(resident=resident, entries={}, expires_at=0)

    async def covering(
        self, resident: str, client_id: str, claims: Collection[str], scopes: Collection[str]
    ) -> RememberedConsent | None:
        """The live remembered consent of `resident` to `client_id` that covers every
        claim in `claims` and every scope in `scopes`, if there is one."""
        entry = (await self._ledger(resident)).live(self._clock.now()).get(client_id)
        if entry is None or not set(claims) <= set(entry.claims):
            return None
        if not set(scopes) <= set(entry.scopes):
            return None
        return entry

    async def remember(
        self,
        resident: str,
        *,
        client_id: str,
        subject: str,
        claims: Collection[str],
        scopes: Collection[str],
        grant_id: str,
        until: float,
    ) -> None:
        entry = RememberedConsent(
            client_id=client_id,
            subject=subject,
            claims=tuple(sorted(claims)),
            scopes=tuple(sorted(scopes)),
            decided_at=self._clock.now(),
            expires_at=until,
            grant_ids=(grant_id,),
        )

        def replace(ledger: ConsentLedger) -> ConsentLedger:
            earlier = ledger.entries.get(client_id)
            if earlier is not None:  # grants issued under the earlier decision stay revocable
                grants = (*earlier.grant_ids, grant_id)[-MAX_GRANTS:]
                return _with(ledger, client_id, entry.model_copy(update={"grant_ids": grants}))
            return _with(ledger, client_id, entry)

        await self._consents.update(resident, replace)

    async def add_grant(self, resident: str, client_id: str, grant_id: str) -> None:
        """Note a grant issued under a remembered consent, for withdrawal to revoke."""

        def add(ledger: ConsentLedger) -> ConsentLedger:
            entry = ledger.entries.get(client_id)
            if entry is None:
                return ledger
            grants = (*entry.grant_ids, grant_id)[-MAX_GRANTS:]
            return _with(ledger, client_id, entry.model_copy(update={"grant_ids": grants}))

        await self._consents.update(resident, add)

    async def remembered(self, resident: str) -> list[RememberedConsent]:
        """The resident's live remembered consents, newest first."""
        live = (await self._ledger(resident)).live(self._clock.now()).values()
        return sorted(live, key=lambda e: e.decided_at, reverse=True)

    async def withdraw(self, resident: str, client_id: str) -> RememberedConsent | None:
        withdrawn: list[RememberedConsent] = []
        now = self._clock.now()

        def drop(ledger: ConsentLedger) -> ConsentLedger:
            withdrawn.clear()  # the change may run again after a lost race
            entry = ledger.live(now).get(client_id)
            if entry is None:
                return ledger
            withdrawn.append(entry)
            return _with(ledger, client_id, None)

        await self._consents.update(resident, drop)
        if not withdrawn:
            return None
        entry = withdrawn[0]
        for grant_id in entry.grant_ids:
            grant = await self._grants.get(grant_id) if self._on_withdrawn else None
            await self._grants.revoke(grant_id)
            if grant is not None and self._on_withdrawn is not None:
                await self._on_withdrawn(grant, "consent_withdrawn")
        await self._audit.consent_withdrawn(
            subject=entry.subject, client_id=client_id, claims=entry.claims
        )
        log.info(
            "consent.withdrawn",
            client_id=client_id,
            subject=entry.subject,
            revoked_grants=len(entry.grant_ids),
        )
        return entry


def _with(ledger: ConsentLedger, client_id: str, entry: RememberedConsent | None) -> ConsentLedger:
    """The ledger with `client_id`'s entry replaced (None: removed)."""
    entries = {k: v for k, v in ledger.entries.items() if k != client_id}
    if entry is not None:
        entries[client_id] = entry
    expires_at = max((e.expires_at for e in entries.values()), default=0)
    return ConsentLedger(resident=ledger.resident, entries=entries, expires_at=expires_at)
