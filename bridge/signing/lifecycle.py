"""The key lifecycle as pure functions on the index: next → active → retired → removed,
in each algorithm's lane independently.

Nothing here reads a clock or a file: `now` and fresh keys' index entries come in, a
new index goes out, so the whole lifecycle is tested by passing times (dex
`rotation_test.go`). `manager.py` does the I/O around them under the rotation lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from bridge.signing.index import KeyEntry, KeyIndex
from bridge.signing.policy import RotationPolicy


def iso_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bootstrap(lanes: Sequence[tuple[KeyEntry, KeyEntry]], now: float) -> KeyIndex:
    """A first key set, an (active, next) pair per algorithm: nobody can have cached a
    JWKS yet, so the first keys sign now."""
    keys: list[KeyEntry] = []
    for active, upcoming in lanes:
        keys.append(active.model_copy(update={"state": "active", "activated_at": now}))
        keys.append(upcoming.model_copy(update={"state": "next"}))
    return KeyIndex(version=1, keys=tuple(keys))


def add_lane(index: KeyIndex, active: KeyEntry, upcoming: KeyEntry, now: float) -> KeyIndex:
    """An algorithm newly enabled: its first key signs at once. No verifier can hold a
    cached JWKS with a key of this algorithm, and no client could ask for it before, so
    nothing waits for it; a verifier meeting the unknown kid fetches the JWKS again."""
    first = active.model_copy(update={"state": "active", "activated_at": now})
    keys = (*index.keys, first, upcoming.model_copy(update={"state": "next"}))
    return _next_version(index, keys=keys)


def retire_lane(index: KeyIndex, alg: str, now: float) -> tuple[KeyIndex, list[KeyEntry]]:
    """An algorithm no longer enabled: its active key retires (tokens it signed still
    verify until they expire), its next key, which never signed, is removed."""
    replaced = [e for e in index.keys if e.alg == alg and e.state == "next"]
    keys = []
    for entry in index.keys:
        if entry.alg == alg and entry.state == "active":
            entry = entry.model_copy(update={"state": "retired", "retired_at": now})
        if entry.alg != alg or entry.state != "next":
            keys.append(entry)
    removed = index.removed + tuple(e.kid for e in replaced)
    return _next_version(index, keys=tuple(keys), removed=removed), replaced


def rotation_refusal(
    index: KeyIndex, alg: str, now: float, policy: RotationPolicy, *, force: bool = False
) -> str | None:
    """Why the next key of `alg` may not start signing now (None: it may)."""
    upcoming = index.next_for(alg)
    if upcoming is None:
        return f"there is no next {alg} key (`bridge keys generate --alg {alg}` publishes one)"
    ripe = policy.ripe_at(upcoming)
    if ripe > now and not force:
        return (
            f"next key {upcoming.kid} has been published for {now - upcoming.created_at:.0f} s; "
            f"verifiers may cache the JWKS for {policy.jwks_max_age} s, so it may sign from "
            f"{iso_time(ripe)} (--force signs with it now and breaks their cached copies)"
        )
    return None


def rotate(index: KeyIndex, alg: str, now: float, fresh: KeyEntry) -> KeyIndex:
    """In the lane of `alg`: next → active, active → retired, and `fresh` becomes the
    new next key."""
    upcoming = index.next_for(alg)
    if upcoming is None:
        raise ValueError(f"no next {alg} key to activate")
    keys = []
    for entry in index.keys:
        if entry.kid == upcoming.kid:
            entry = entry.model_copy(update={"state": "active", "activated_at": now})
        elif entry.state == "active" and entry.alg == alg:
            entry = entry.model_copy(update={"state": "retired", "retired_at": now})
        keys.append(entry)
    keys.append(fresh.model_copy(update={"state": "next"}))
    return _next_version(index, keys=tuple(keys))


def add_next(index: KeyIndex, fresh: KeyEntry) -> tuple[KeyIndex, list[KeyEntry]]:
    """Publish `fresh` as the next key of its algorithm. A next key it replaces never
    signed, so it is removed at once (and its kid never comes back)."""
    replaced = [e for e in index.keys if e.alg == fresh.alg and e.state == "next"]
    kept = (e for e in index.keys if e not in replaced)
    keys = (*kept, fresh.model_copy(update={"state": "next"}))
    removed = index.removed + tuple(e.kid for e in replaced)
    return _next_version(index, keys=keys, removed=removed), replaced


def prunable(index: KeyIndex, now: float, policy: RotationPolicy) -> list[KeyEntry]:
    """Retired keys whose every token has expired."""
    return [e for e in index.retired if policy.removable_at(e) <= now]


def prune(index: KeyIndex, entries: list[KeyEntry]) -> KeyIndex:
    gone = {e.kid for e in entries}
    if not gone:
        return index
    return _next_version(
        index,
        keys=tuple(e for e in index.keys if e.kid not in gone),
        removed=index.removed + tuple(sorted(gone)),
    )


def lane_reasons(index: KeyIndex, alg: str, now: float, policy: RotationPolicy) -> list[str]:
    """What the schedule should do in the lane of one enabled algorithm."""
    if index.active_for(alg) is None:
        return [f"start the {alg} lane"]
    if index.next_for(alg) is None:
        return [f"publish a next {alg} key"]
    if policy.next_rotation_at(index, alg, now) <= now:
        return [f"rotate {alg}"]
    return []


def maintenance_reasons(index: KeyIndex, now: float, policy: RotationPolicy) -> list[str]:
    """What the schedule should do now; checked before taking the lock and again, on a
    fresh read, under it (so two instances never both act: dex's optimistic check)."""
    reasons = [r for alg in policy.algorithms for r in lane_reasons(index, alg, now, policy)]
    for entry in index.actives:
        if entry.alg not in policy.algorithms:
            reasons.append(f"retire the {entry.alg} lane (no longer enabled)")
    if prunable(index, now, policy):
        reasons.append("remove expired retired keys")
    return reasons


def _next_version(index: KeyIndex, **changes: object) -> KeyIndex:
    return index.model_copy(update={"version": index.version + 1, **changes})
