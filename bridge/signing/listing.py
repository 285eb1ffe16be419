"""What `bridge keys list` shows: each key's state and the moments that matter for it,
computed from the index and the rotation policy (so they follow the settings in force)."""

from __future__ import annotations

from typing import Any

from bridge.signing.index import KeyEntry, KeyIndex
from bridge.signing.lifecycle import iso_time
from bridge.signing.policy import RotationPolicy


def _when(entry: KeyEntry, index: KeyIndex, policy: RotationPolicy, now: float) -> dict[str, Any]:
    times: dict[str, Any] = {"activates_at": None, "retires_at": None, "removes_at": None}
    if entry.state == "next":
        at = (
            policy.next_rotation_at(index, entry.alg, now)
            if policy.automatic
            else policy.ripe_at(entry)
        )
        times["activates_at"] = iso_time(at)
    elif entry.state == "active" and policy.automatic:
        times["retires_at"] = iso_time(policy.next_rotation_at(index, entry.alg, now))
    elif entry.state == "retired":
        times["removes_at"] = iso_time(policy.removable_at(entry))
    return times


def describe(index: KeyIndex, policy: RotationPolicy, now: float) -> dict[str, Any]:
    """The key set as JSON-ready data (`bridge keys list --json`)."""
    return {
        "version": index.version,
        "keys": [
            {
                "state": e.state,
                "kid": e.kid,
                "alg": e.alg,
                "created_at": iso_time(e.created_at),
                **_when(e, index, policy, now),
                "development": e.development,
                "file": e.file,
            }
            for e in index.ordered()
        ],
        "policy": {
            "automatic_rotation": policy.automatic,
            "rotation_period": policy.rotation_period,
            "prepublication": policy.prepublication,
            "retirement": policy.retirement,
            "refresh_interval": policy.refresh_interval,
            "jwks_max_age": policy.jwks_max_age,
        },
    }


def table(described: dict[str, Any]) -> str:
    """The same, as a table for people."""
    rows = [("STATE", "KID", "ALG", "CREATED", "ACTIVATES / RETIRES / REMOVED AT")]
    for key in described["keys"]:
        when = (
            f"activates {key['activates_at']}"
            if key["activates_at"]
            else f"retires {key['retires_at']}"
            if key["retires_at"]
            else f"removed after {key['removes_at']}"
            if key["removes_at"]
            else "until `bridge keys rotate`"
        )
        state = key["state"] + (" (dev)" if key["development"] else "")
        rows.append((state, key["kid"], key["alg"], key["created_at"], when))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    p = described["policy"]
    rotation = f"every {p['rotation_period']:g} s" if p["automatic_rotation"] else "manual only"
    lines.append(
        f"\nkey set version {described['version']}; rotation {rotation}; a next key is "
        f"published {p['prepublication']:g} s before it signs; a retired key stays "
        f"{p['retirement']:g} s; instances re-read the set every {p['refresh_interval']:g} s"
    )
    return "\n".join(line.rstrip() for line in lines)
