"""What the resident's consent page shows: each remembered consent with the recipient,
its purpose and jurisdiction, the attributes (by label, never by value), and when the
decision was made and ends. Times are shown in Hong Kong time, where residents are."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from bridge.claims.directions import Directions
from bridge.provider.clients import ClientRegistry
from bridge.store.consents import RememberedConsent

HONG_KONG = timezone(timedelta(hours=8), "HKT")


@dataclass(frozen=True, slots=True)
class ConsentRow:
    client_id: str
    client_name: str
    purpose: str
    jurisdiction: str
    attributes: tuple[str, ...]
    decided: str
    expires: str
    expires_iso: str


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=HONG_KONG).strftime("%Y-%m-%d %H:%M")


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat(timespec="seconds")


def build_rows(
    entries: Iterable[RememberedConsent],
    clients: ClientRegistry,
    directions: Directions,
    locale: str,
) -> list[ConsentRow]:
    rows = []
    for entry in entries:
        client = clients.get(entry.client_id)
        catalog = directions.catalog(client.downstream if client else None)
        labels = catalog.labels(entry.claims, locale)
        rows.append(
            ConsentRow(
                client_id=entry.client_id,
                client_name=client.name.get(locale) if client else entry.client_id,
                purpose=client.purpose.get(locale) if client else "",
                jurisdiction=client.jurisdiction.get(locale) if client else "",
                attributes=tuple(labels),
                decided=_when(entry.decided_at),
                expires=_when(entry.expires_at),
                expires_iso=_iso(entry.expires_at),
            )
        )
    return rows
