"""The file form of the audit trail: JSON Lines, one record per line, in log order.

Each line is `{"entry": <log entry id>, "hash": <stored digest>, "record": {...}}`.
The record is written as an object so the file is readable; its canonical form (the
one the digest covers) is recomputed on reading, which is exact because records hold
only strings, integers, booleans, null and lists (`bridge.audit.records`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO

from bridge.audit.log import AuditLog
from bridge.audit.records import StoredRecord, canonical


async def records_of(log: AuditLog, *, batch: int = 500) -> AsyncIterator[StoredRecord]:
    after: str | None = None
    while True:
        page = await log.read(after, batch)
        for record in page:
            yield record
        if len(page) < batch:
            return
        after = page[-1].entry_id


def export_line(record: StoredRecord) -> str:
    try:
        content: object = json.loads(record.body)
    except ValueError:
        content = record.body  # kept verbatim, so verification reports it
    line = {"entry": record.entry_id, "hash": record.digest, "record": content}
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


async def export(log: AuditLog, out: IO[str]) -> int:
    count = 0
    async for record in records_of(log):
        out.write(export_line(record) + "\n")
        count += 1
    return count


def read_export(path: Path) -> Iterator[StoredRecord]:
    """The records of an export file; a line that is not one yields an unreadable record."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                content = item["record"]
                body = canonical(content) if isinstance(content, dict) else str(content)
                yield StoredRecord(str(item.get("entry", number)), body, str(item["hash"]))
            except (ValueError, KeyError, TypeError):
                yield StoredRecord(f"line {number}", "", "")
