"""Reading what the bridge recorded: its audit trail in the tests' Redis, and what it
asked the mock iAM Smart for (the profiles request, decrypted with the mock's key)."""

from __future__ import annotations

import json
from typing import Any

import redis

from bridge.audit.records import STREAM_KEY, StoredRecord
from mock_idps.iamsmart.wire import decrypt_content


def audit_records(redis_url: str) -> list[StoredRecord]:
    client = redis.Redis.from_url(redis_url)
    try:
        entries = client.xrange(STREAM_KEY)
    finally:
        client.close()
    return [
        StoredRecord(entry_id.decode(), fields[b"body"].decode(), fields[b"hash"].decode())
        for entry_id, fields in entries
    ]


def audit_events(redis_url: str) -> list[dict[str, Any]]:
    return [record.fields() for record in audit_records(redis_url)]


def profile_fields_requested(chain: Any, client_id: str = "gba-bridge-dev") -> list[list[str]]:
    """The `profileFields` of every profiles request the bridge sent to iAM Smart."""
    if client_id not in chain.iamsmart_state.ceks:
        return []  # the bridge never called iAM Smart's API
    cek = chain.iamsmart_state.ceks[client_id].key
    asked = []
    for request in chain.upstream_requests:
        if request.url.path == "/api/v1/profiles":
            body = json.loads(decrypt_content(cek, json.loads(request.content)["content"]))
            asked.append(sorted(body.get("profileFields", []) + body.get("eMEFields", [])))
    return asked
