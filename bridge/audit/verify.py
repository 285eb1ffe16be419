"""Checking an audit chain, and saying what is wrong with it.

Every record carries its position (`seq`) and the digest of the record before it
(`prev`), and is stored beside its own digest. From those three, each kind of tampering
leaves its own trace:

- **altered**: a record's content no longer matches its stored digest; or it was
  re-hashed after the change, and the next record still chains the old digest;
- **removed**: a position is missing (also the first records, when `seq` 1 is absent);
- **inserted**: a position appears twice and only one copy is chained by its neighbours
  (a forged record, or a copied one);
- **reordered**: records are kept in an order other than their positions.

What a chain alone cannot show is a forger who rewrites every record from some point
on, or cuts records off the end: for that, compare the head with one noted earlier
(`expect_head`, printed by `bridge audit verify` and `export`), e.g. in a ticket or a
signed report (RFC 6962's signed tree heads play the same role).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bridge.audit.records import GENESIS, StoredRecord, digest_of


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    """altered, removed, inserted, reordered, unreadable, head, or checkpoint."""
    seq: int | None
    message: str


@dataclass
class Report:
    count: int = 0
    head_seq: int = 0
    head_digest: str = GENESIS
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def head(self) -> str:
        return f"{self.head_seq}:{self.head_digest}"


@dataclass(frozen=True, slots=True)
class _Entry:
    position: int
    seq: int
    prev: str
    stored: str
    intact: bool


def _parse(position: int, record: StoredRecord, report: Report) -> _Entry | None:
    try:
        fields: dict[str, Any] = record.fields()
        seq, prev = fields.get("seq"), fields.get("prev")
        if not isinstance(seq, int) or not isinstance(prev, str):
            raise ValueError("no seq or prev")
    except ValueError:
        report.findings.append(
            Finding("unreadable", None, f"entry {position} ({record.entry_id}) is not a record")
        )
        return None
    return _Entry(position, seq, prev, record.digest, digest_of(record.body) == record.digest)


def verify(
    records: Iterable[StoredRecord],
    *,
    expect_head: str | None = None,
    start: tuple[int, str] | None = None,
) -> Report:
    """`start`: the (seq, digest) of the last record pruned at a retention cut
    (`bridge.durable.retention`): the chain is checked from the record after it, which
    must chain that digest; none before it is missed."""
    first, first_prev = (start[0] + 1, start[1]) if start else (1, GENESIS)
    report = Report()
    entries = []
    for position, record in enumerate(records, start=1):
        report.count += 1
        entry = _parse(position, record, report)
        if entry is not None:
            entries.append(entry)
    findings = report.findings

    for entry in entries:
        if not entry.intact:
            findings.append(
                Finding(
                    "altered",
                    entry.seq,
                    f"record {entry.seq} was altered: its content does not match its digest",
                )
            )

    by_seq: dict[int, list[_Entry]] = defaultdict(list)
    for entry in entries:
        by_seq[entry.seq].append(entry)
    chained_digests = {entry.prev for entry in entries}

    def genuine(candidates: list[_Entry]) -> _Entry:
        # The copy its successor chains is the original; otherwise the first kept.
        for candidate in candidates:
            if candidate.stored in chained_digests and candidate.intact:
                return candidate
        return candidates[0]

    chain: dict[int, _Entry] = {}
    for seq, candidates in sorted(by_seq.items()):
        original = genuine(candidates)
        chain[seq] = original
        for other in candidates:
            if other is not original:
                findings.append(
                    Finding(
                        "inserted",
                        seq,
                        f"a record numbered {seq} was inserted at entry "
                        f"{other.position} (the chain continues from entry {original.position})",
                    )
                )

    last_seq = max(chain, default=0)
    missing = [seq for seq in range(first, last_seq + 1) if seq not in chain]
    for seq in missing:
        findings.append(Finding("removed", seq, f"record {seq} was removed"))

    for seq, entry in chain.items():
        before = chain.get(seq - 1)
        if seq == first and entry.prev != first_prev:
            where = "continue from the checkpoint" if start else "start the chain"
            findings.append(Finding("altered", seq, f"record {seq} does not {where}"))
        if before is not None and entry.prev != before.stored and before.intact:
            findings.append(
                Finding(
                    "altered",
                    seq - 1,
                    f"record {seq - 1} was altered and re-hashed: "
                    f"record {seq} chains a different digest",
                )
            )

    kept_order = [e.seq for e in sorted(chain.values(), key=lambda e: e.position)]
    highest = 0
    for seq in kept_order:
        if seq < highest:
            findings.append(
                Finding("reordered", seq, f"record {seq} is kept after record {highest}")
            )
        highest = max(highest, seq)

    if chain:
        report.head_seq, report.head_digest = last_seq, chain[last_seq].stored
    if expect_head is not None:
        _check_head(expect_head, chain, report)
    return report


_HEAD = re.compile(r"[0-9]+:[0-9a-f]{64}")


def is_head(text: str) -> bool:
    """Whether `text` is a head as `verify` and `export` print it (SEQ:SHA256HEX)."""
    return _HEAD.fullmatch(text) is not None


def _check_head(expect_head: str, chain: dict[int, _Entry], report: Report) -> None:
    seq_text, _, expected = expect_head.partition(":")
    if not seq_text.isdigit() or len(expected) != 64:
        report.findings.append(Finding("head", None, "expected head must be SEQ:SHA256HEX"))
        return
    seq = int(seq_text)
    entry = chain.get(seq)
    if entry is None:
        report.findings.append(
            Finding(
                "head",
                seq,
                f"record {seq}, the head noted earlier, is no longer there "
                "(records were cut off the end)",
            )
        )
    elif entry.stored != expected:
        report.findings.append(
            Finding(
                "head",
                seq,
                f"record {seq} differs from the head noted earlier: "
                "the chain was rewritten from that point or before",
            )
        )
