"""Changing the key set: generate, rotate, prune and the scheduled maintenance. One
implementation shared by `bridge keys …` and every instance's schedule (hydra's
operator model, dex's rotation rule).

Each change takes the rotation lock, reads the key set again, re-checks why it came
(the active key it meant to rotate is still active; the schedule's reason still holds),
writes the new key files, then the index, then deletes removed key files.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
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

    def _require_readable(self, index: KeyIndex) -> None:
        """Refuse to add a key that the existing ones could not be loaded beside: with
        another key-encryption key, the new key would be sealed under it and the
        directory would then open under neither."""
        try:
            for entry in index.keys:
                self.files.load_key(entry)
        except SigningKeyError as exc:
            raise SigningKeyError(
                f"nothing written: the existing keys do not load with this configuration "
                f"({exc}); check BRIDGE_KEYS_ENCRYPTION_KEY (or _FILE)"
            ) from None

    def _fresh(self, alg: Algorithm, now: float) -> KeyEntry:
        key = self.files.new_key(alg, now, development_allowed=self._development_allowed)
        return self.files.write_key(key, "next")

    def _commit(self, old: KeyIndex | None, new: KeyIndex, removed: list[KeyEntry]) -> KeyIndex:
        """Write `new` as one change (its version one above `old`'s, however many lanes
        changed) and return it as written."""
        version = old.version if old else 0
        current = self.files.read_index()
        if (current.version if current else 0) != version:
            # Only possible if a lock expired mid-change: never overwrite another writer.
            raise KeySetBusy("the key set changed while it was being changed; try again")
        new = new.model_copy(update={"version": version + 1})
        self.files.write_index(new)
        self.files.remove_files(removed)
        return new

    async def generate(self, alg: Algorithm | None = None) -> Outcome:
        """Publish a new next key of `alg` (replacing its next key, which never signed);
        for an algorithm without keys, start its lane; in an empty key directory, make
        the first key set: an active and a next key for every enabled algorithm."""
        alg = alg or self.policy.algorithm
        async with self._lock.hold(OPERATOR_WAIT):
            now = self._clock.now()
            index = self.files.read_index()
            if index is None:
                algs = tuple(dict.fromkeys((*self.policy.algorithms, alg)))
                lanes = [(self._fresh(a, now), self._fresh(a, now)) for a in algs]
                new = lifecycle.bootstrap(lanes, now)
                new = self._commit(None, new, [])
                kids = ", ".join(f"{a.kid} ({a.alg})" for a, _ in lanes)
                log.info("keys.bootstrapped", active=[a.kid for a, _ in lanes])
                return Outcome(new, ("generated",), f"created active keys {kids}")
            self._require_readable(index)
            if index.active_for(alg) is None:
                first = self._fresh(alg, now)
                new = lifecycle.add_lane(index, first, self._fresh(alg, now), now)
                new = self._commit(index, new, [])
                log.info("keys.lane_started", kid=first.kid, alg=alg)
                return Outcome(new, ("generated",), f"created active key {first.kid} ({alg})")
            fresh = self._fresh(alg, now)
            new, replaced = lifecycle.add_next(index, fresh)
            new = self._commit(index, new, replaced)
        log.info("keys.generated", kid=fresh.kid, alg=alg, replaced=[e.kid for e in replaced])
        ripe = lifecycle.iso_time(self.policy.ripe_at(fresh))
        return Outcome(
            new,
            ("generated",),
            f"published next key {fresh.kid} ({alg}); it may sign from {ripe}",
            removed=tuple(e.kid for e in replaced),
        )

    def _lanes_to_rotate(self, index: KeyIndex, alg: Algorithm | None) -> dict[Algorithm, str]:
        """Algorithm → the kid active in its lane, for the lanes a rotation covers."""
        algs = [alg] if alg is not None else list(index.lanes)
        return {a: e.kid for a in algs if (e := index.active_for(a)) is not None}

    async def rotate(
        self,
        *,
        expected_active: Mapping[Algorithm, str] | None = None,
        force: bool = False,
        alg: Algorithm | None = None,
    ) -> Outcome:
        """In the lane of `alg` (every lane when None): next → active, active → retired,
        a fresh next. `expected_active` maps each algorithm to the key the caller saw
        active: if another process rotated meanwhile, nothing more happens."""
        if expected_active is None:
            expected_active = self._lanes_to_rotate(self.files.require_index(), alg)
        if not expected_active:
            raise SigningKeyError(f"not rotated: there is no active {alg} key")
        async with self._lock.hold(OPERATOR_WAIT):
            now = self._clock.now()
            old = index = self.files.require_index()
            seen = {a: e.kid for a in expected_active if (e := index.active_for(a))}
            if seen != dict(expected_active):
                signing = ", ".join(e.kid for e in index.actives)
                return Outcome(index, message=f"already rotated: {signing} sign")
            self._require_readable(index)
            for lane in expected_active:
                refusal = lifecycle.rotation_refusal(index, lane, now, self.policy, force=force)
                if refusal is not None:
                    raise SigningKeyError(f"not rotated: {refusal}")
            for lane in expected_active:
                index = lifecycle.rotate(index, lane, now, self._fresh(lane, now))
            index = self._commit(old, index, [])
        done = [
            f"{entry.kid} signs; {kid} retired"
            for a, kid in expected_active.items()
            if (entry := index.active_for(a)) is not None
        ]
        log.info("keys.rotated", retired=list(expected_active.values()), forced=force)
        return Outcome(index, ("rotated",), "; ".join(done))

    async def prune(self) -> Outcome:
        async with self._lock.hold(OPERATOR_WAIT):
            index = self.files.require_index()
            gone = lifecycle.prunable(index, self._clock.now(), self.policy)
            if not gone:
                return Outcome(index, message="no retired key has outlived its tokens")
            new = lifecycle.prune(index, gone)
            new = self._commit(index, new, gone)
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
        for alg in self.policy.algorithms:
            index, changed = self._maintain_lane(index, alg, now)
            done += [c for c in changed if c not in done]
        for entry in index.actives:
            if entry.alg not in self.policy.algorithms:
                index, replaced = lifecycle.retire_lane(index, entry.alg, now)
                removed += replaced
                done.append("retired")
        gone = lifecycle.prunable(index, now, self.policy)
        if gone:
            index = lifecycle.prune(index, gone)
            removed += gone
            done.append("pruned")
        if not done:
            return None
        index = self._commit(old, index, removed)
        log.info(
            "keys.maintained",
            done=done,
            active=[e.kid for e in index.actives],
            version=index.version,
            removed=[e.kid for e in removed],
        )
        return Outcome(index, tuple(done), removed=tuple(e.kid for e in removed))

    def _maintain_lane(
        self, index: KeyIndex, alg: Algorithm, now: float
    ) -> tuple[KeyIndex, list[str]]:
        if index.active_for(alg) is None:
            first = self._fresh(alg, now)
            return lifecycle.add_lane(index, first, self._fresh(alg, now), now), ["generated"]
        if index.next_for(alg) is None:
            index, _ = lifecycle.add_next(index, self._fresh(alg, now))
            return index, ["generated"]
        if lifecycle.rotation_refusal(index, alg, now, self.policy) is None and (
            self.policy.next_rotation_at(index, alg, now) <= now
        ):
            return lifecycle.rotate(index, alg, now, self._fresh(alg, now)), ["rotated"]
        return index, []
