"""The key lifecycle as pure functions on the index: next → active → retired → removed.

Nothing here reads a clock or a file: `now` and fresh keys' index entries come in, a
new index goes out, so the whole lifecycle is tested by passing times (dex
`rotation_test.go`). `manager.py` does the I/O around them under the rotation lock.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bridge.signing.index import KeyEntry, KeyIndex
from bridge.signing.policy import RotationPolicy


def iso_time(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bootstrap(active: KeyEntry, upcoming: KeyEntry, now: float) -> KeyIndex:
    """A first key set: nobody can have cached a JWKS yet, so the first key signs now."""
    first = active.model_copy(update={"state": "active", "activated_at": now})
    return KeyIndex(version=1, keys=(first, upcoming.model_copy(update={"state": "next"})))


def rotation_refusal(
    index: KeyIndex, now: float, policy: RotationPolicy, *, force: bool = False
) -> str | None:
    """Why the next key may not start signing now (None: it may)."""
    upcoming = index.next
    if upcoming is None:
        return "there is no next key (`bridge keys generate` publishes one)"
    ripe = policy.ripe_at(upcoming)
    if ripe > now and not force:
        return (
            f"next key {upcoming.kid} has been published for {now - upcoming.created_at:.0f} s; "
            f"verifiers may cache the JWKS for {policy.jwks_max_age} s, so it may sign from "
            f"{iso_time(ripe)} (--force signs with it now and breaks their cached copies)"
        )
    return None


def rotate(index: KeyIndex, now: float, fresh: KeyEntry) -> KeyIndex:
    """next → active, active → retired, and `fresh` becomes the new next key."""
    upcoming = index.next
    if upcoming is None:
        raise ValueError("no next key to activate")
    keys = []
    for entry in index.keys:
        if entry.kid == upcoming.kid:
            entry = entry.model_copy(update={"state": "active", "activated_at": now})
        elif entry.state == "active":
            entry = entry.model_copy(update={"state": "retired", "retired_at": now})
        keys.append(entry)
    keys.append(fresh.model_copy(update={"state": "next"}))
    return _next_version(index, keys=tuple(keys))


def add_next(index: KeyIndex, fresh: KeyEntry) -> tuple[KeyIndex, list[KeyEntry]]:
    """Publish `fresh` as the next key. A next key it replaces never signed, so it is
    removed at once (and its kid never comes back)."""
    replaced = list(index.in_state("next"))
    kept = (e for e in index.keys if e.state != "next")
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


def maintenance_reasons(index: KeyIndex, now: float, policy: RotationPolicy) -> list[str]:
    """What the schedule should do now; checked before taking the lock and again, on a
    fresh read, under it (so two instances never both act: dex's optimistic check)."""
    reasons = []
    upcoming = index.next
    if upcoming is None:
        reasons.append("publish a next key")
    elif upcoming.alg != policy.algorithm:
        reasons.append(f"replace the {upcoming.alg} next key with {policy.algorithm}")
    elif policy.next_rotation_at(index, now) <= now:
        reasons.append("rotate")
    if prunable(index, now, policy):
        reasons.append("remove expired retired keys")
    return reasons


def _next_version(index: KeyIndex, **changes: object) -> KeyIndex:
    return index.model_copy(update={"version": index.version + 1, **changes})
