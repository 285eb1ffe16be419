"""One audit record and its place in the chain.

A record is a flat JSON object of names and identifiers — never a personal data value.
Each record names the digest of the one before it (`prev`) and its own position
(`seq`), and is identified by the SHA-256 of its canonical form::

    hash(n) = SHA-256(canonical(record n))      record n holds prev = hash(n-1)

Canonical form is RFC 8785 (JSON Canonicalization Scheme) for the values records hold
(strings, integers, booleans, null, lists of strings; ASCII keys): keys sorted, no
insignificant white space, UTF-8. `json.dumps` with those options produces exactly
that, so no JCS library is needed for these shapes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64
"""The `prev` of the first record."""
STREAM_KEY = "bridge:audit:chain"
"""Where the chain is appended (a Redis Stream's key)."""
FORMAT_VERSION = 1

Scalar = str | int | bool | None
Value = Scalar | list[str]


def canonical(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest_of(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def timestamp(seconds: float) -> str:
    """RFC 3339 UTC with milliseconds: readable in an export, exact in a hash."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class StoredRecord:
    """A record as kept: its canonical body, the digest stored beside it, and where the
    log put it (a Redis stream entry id, or a position in memory)."""

    entry_id: str
    body: str
    digest: str

    def fields(self) -> dict[str, Any]:
        parsed = json.loads(self.body)
        if not isinstance(parsed, dict):
            raise ValueError("an audit record is a JSON object")
        return parsed

    @property
    def seq(self) -> int:
        seq = self.fields().get("seq")
        if not isinstance(seq, int):
            raise ValueError("an audit record has an integer seq")
        return seq


def chained(event: dict[str, Value], *, seq: int, prev: str, at: float) -> tuple[str, str]:
    """The canonical body and digest of `event` as record number `seq` after `prev`."""
    body = canonical(
        {**event, "v": FORMAT_VERSION, "seq": seq, "prev": prev, "time": timestamp(at)}
    )
    return body, digest_of(body)
