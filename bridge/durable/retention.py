"""Audit retention in PostgreSQL: records older than the retention period are deleted,
and the cut leaves a checkpoint so what is kept still verifies as one chain.

A checkpoint is the sequence number and digest of the last pruned record: the first
kept record must chain exactly that digest, and every record after it must be there.
It is sealed with HMAC-SHA256 under a key derived from BRIDGE_STORE_KEY, so someone
who can write to the database but does not hold the bridge's secret cannot move the
checkpoint forward to hide records deleted before their time. (A MAC, not a
signature: checking it needs the same secret; the signing keys rotate and retire,
which a record meant to be checked years later should not depend on.)

The last record is never pruned: it is the head the next append chains on.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bridge.audit.records import StoredRecord
from bridge.audit.verify import Finding, Report, verify
from bridge.durable.audit_log import APPEND_LOCK
from bridge.durable.database import Database, unavailable_as_store_error


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    digest: str
    seal: str

    @property
    def cut(self) -> str:
        return f"{self.seq}:{self.digest}"


class CheckpointSeal:
    def __init__(self, secret: str) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gba-bridge audit checkpoint v1"
        ).derive(secret.encode("utf-8"))

    def seal(self, seq: int, digest: str) -> str:
        return hmac.new(self._key, f"{seq}:{digest}".encode(), hashlib.sha256).hexdigest()

    def holds(self, checkpoint: Checkpoint) -> bool:
        return hmac.compare_digest(self.seal(checkpoint.seq, checkpoint.digest), checkpoint.seal)


@unavailable_as_store_error
async def prune(
    database: Database, *, older_than: float, seal: CheckpointSeal
) -> Checkpoint | None:
    """Delete the records appended before `older_than` (Unix seconds), keeping the last
    one; the checkpoint written at the cut, or None when nothing was old enough."""
    async with database.connection() as conn, conn.transaction():
        # Under the append lock: no instance appends while the cut is made.
        await conn.execute("SELECT pg_advisory_xact_lock(%s)", (APPEND_LOCK,))
        cursor = await conn.execute(
            "SELECT position, digest FROM audit_records WHERE recorded_at < to_timestamp(%s) "
            "AND position < (SELECT max(position) FROM audit_records) "
            "ORDER BY position DESC LIMIT 1",
            (older_than,),
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        seq, digest = int(row[0]), str(row[1])
        checkpoint = Checkpoint(seq, digest, seal.seal(seq, digest))
        await conn.execute(
            "INSERT INTO audit_checkpoints (position, digest, seal) VALUES (%s, %s, %s)",
            (seq, digest, checkpoint.seal),
        )
        await conn.execute("DELETE FROM audit_records WHERE position <= %s", (seq,))
    return checkpoint


@unavailable_as_store_error
async def latest_checkpoint(database: Database) -> Checkpoint | None:
    async with database.connection() as conn:
        cursor = await conn.execute(
            "SELECT position, digest, seal FROM audit_checkpoints ORDER BY position DESC LIMIT 1"
        )
        row = await cursor.fetchone()
    return None if row is None else Checkpoint(int(row[0]), str(row[1]), str(row[2]))


def verify_after(
    records: Iterable[StoredRecord],
    checkpoint: Checkpoint | None,
    seal: CheckpointSeal | None,
    *,
    expect_head: str | None = None,
) -> Report:
    """`verify` from the latest checkpoint, whose seal is checked when the secret is
    given (`seal`); a checkpoint that is not the bridge's is a finding of its own."""
    start = (checkpoint.seq, checkpoint.digest) if checkpoint else None
    report = verify(records, expect_head=expect_head, start=start)
    if checkpoint is not None and seal is not None and not seal.holds(checkpoint):
        report.findings.insert(
            0,
            Finding(
                "checkpoint",
                checkpoint.seq,
                f"the checkpoint at record {checkpoint.seq} was not made by the bridge "
                "(its seal does not match): records may have been removed before their time",
            ),
        )
    return report
