"""Changing the key set: generate, rotate, prune and the scheduled maintenance. One
implementation shared by `bridge keys …` and every instance's schedule (hydra's
operator model, dex's rotation rule).

Each change takes the rotation lock, reads the key set again, re-checks why it came
(the active key it meant to rotate is still active; the schedule's reason still holds),
writes the new key files, then the index, then deletes removed key files.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import structlog

from bridge.clock import Clock
from bridge.errors import SigningKeyError
from bridge.signing import lifecycle
from bridge.signing.index import KeyEntry, KeyIndex
from bridge.signing.keys import Algorithm
from bridge.signing.locks import KeySetBusy, KeySetLock
from bridge.signing.policy import RotationPolicy
from bridge.signing.storage import KeyFiles

log = structlog.get_logger(__name__)

OPERATOR_WAIT = 10.0
"""Seconds a command waits for another writer before giving up."""


@dataclass(frozen=True)
class Outcome:
    index: KeyIndex
    done: tuple[str, ...] = ()
    """What changed ("generated", "rotated", "pruned"); empty if nothing did."""
    message: str = ""
    removed: tuple[str, ...] = ()
    """Kids removed by this change."""

    @property
    def changed(self) -> bool:
        return bool(self.done)


class KeyManager:
    def __init__(
        self,
        files: KeyFiles,
        policy: RotationPolicy,
        lock: KeySetLock,
        clock: Clock,
        *,
        development_allowed: bool,
    ) -> None:
        self.files = files
        self.policy = policy
        self._lock = lock
        self._clock = clock
        self._development_allowed = development_allowed

    def _fresh(self, alg: Algorithm, now: float) -> KeyEntry:
        key = self.files.new_key(alg, now, development_allowed=self._development_allowed)
        return self.files.write_key(key, "next")

    def _commit(self, old: KeyIndex | None, new: KeyIndex, removed: list[KeyEntry]) -> None:
        current = self.files.read_index()
        if (current.version if current else 0) != (old.version if old else 0):
            # Only possible if a lock expired mid-change: never overwrite another writer.
            raise KeySetBusy("the key set changed while it was being changed; try again")
        self.files.write_index(new)
        self.files.remove_files(removed)

    async def generate(self, alg: Algorithm | None = None) -> Outcome:
        """Publish a new next key (replacing any next key, which never signed); in an
        empty key directory, make the first active key and its next key."""
        alg = alg or self.policy.algorithm
        async with self._lock.hold(OPERATOR_WAIT):
            now = self._clock.now()
            index = self.files.read_index()
            if index is None:
                active = self._fresh(alg, now)
                new = lifecycle.bootstrap(active, self._fresh(alg, now), now)
                self._commit(None, new, [])
                log.info("keys.bootstrapped", active=active.kid, alg=alg)
                return Outcome(new, ("generated",), f"created active key {active.kid}")
            fresh = self._fresh(alg, now)
            new, replaced = lifecycle.add_next(index, fresh)
            self._commit(index, new, replaced)
        log.info("keys.generated", kid=fresh.kid, alg=alg, replaced=[e.kid for e in replaced])
        ripe = lifecycle.iso_time(self.policy.ripe_at(fresh))
        return Outcome(
            new,
            ("generated",),
            f"published next key {fresh.kid} ({alg}); it may sign from {ripe}",
            removed=tuple(e.kid for e in replaced),
        )

    async def rotate(self, *, expected_active: str | None = None, force: bool = False) -> Outcome:
        """next → active, active → retired, a fresh next. `expected_active` is the key the
        caller saw active: if another process rotated meanwhile, nothing more happens."""
        if expected_active is None:
            expected_active = self.files.require_index().active.kid
        async with self._lock.hold(OPERATOR_WAIT):
            now = self._clock.now()
            index = self.files.require_index()
            if index.active.kid != expected_active:
                return Outcome(index, message=f"already rotated: {index.active.kid} signs")
            refusal = lifecycle.rotation_refusal(index, now, self.policy, force=force)
            if refusal is not None:
                raise SigningKeyError(f"not rotated: {refusal}")
            new = lifecycle.rotate(index, now, self._fresh(self.policy.algorithm, now))
            self._commit(index, new, [])
        log.info("keys.rotated", retired=expected_active, active=new.active.kid, forced=force)
        return Outcome(new, ("rotated",), f"{new.active.kid} signs; {expected_active} retired")

    async def prune(self) -> Outcome:
        async with self._lock.hold(OPERATOR_WAIT):
            index = self.files.require_index()
            gone = lifecycle.prunable(index, self._clock.now(), self.policy)
            if not gone:
                return Outcome(index, message="no retired key has outlived its tokens")
            new = lifecycle.prune(index, gone)
            self._commit(index, new, gone)
        kids = tuple(e.kid for e in gone)
        log.info("keys.pruned", kids=list(kids))
        return Outcome(new, ("pruned",), f"removed {', '.join(kids)}", removed=kids)

    async def maintain(self, seen: KeyIndex) -> Outcome | None:
        """The schedule's step. Returns None when there was nothing to do, or another
        instance held the lock (it is doing it)."""
        if not lifecycle.maintenance_reasons(seen, self._clock.now(), self.policy):
            return None
        try:
            async with self._lock.hold(0):
                # in a thread: making an RSA key takes long enough to stall requests
                return await asyncio.to_thread(self._maintain_locked)
        except KeySetBusy:
            return None

    def _maintain_locked(self) -> Outcome | None:
        now = self._clock.now()
        old = index = self.files.require_index()
        if not lifecycle.maintenance_reasons(index, now, self.policy):
            return None  # another instance did it between our read and the lock
        done: list[str] = []
        removed: list[KeyEntry] = []
        upcoming = index.next
        if upcoming is None or upcoming.alg != self.policy.algorithm:
            index, replaced = lifecycle.add_next(index, self._fresh(self.policy.algorithm, now))
            removed += replaced
            done.append("generated")
        elif lifecycle.rotation_refusal(index, now, self.policy) is None and (
            self.policy.next_rotation_at(index, now) <= now
        ):
            index = lifecycle.rotate(index, now, self._fresh(self.policy.algorithm, now))
            done.append("rotated")
        gone = lifecycle.prunable(index, now, self.policy)
        if gone:
            index = lifecycle.prune(index, gone)
            removed += gone
            done.append("pruned")
        if not done:
            return None
        self._commit(old, index, removed)
        log.info(
            "keys.maintained",
            done=done,
            active=index.active.kid,
            version=index.version,
            removed=[e.kid for e in removed],
        )
        return Outcome(index, tuple(done), removed=tuple(e.kid for e in removed))
