"""Schema migrations as numbered plain-SQL files (`migrations/NNNN_name.sql`), applied
in order, each in its own transaction, and recorded in `bridge_schema_migrations`.

Why not Alembic: there is no SQLAlchemy model to generate migrations from (two tables,
queried with hand-written SQL), so Alembic would bring SQLAlchemy in for what amounts
to running files in order; plain SQL is also what a DBA reviews. An advisory lock makes
two `bridge db upgrade` runs (two instances starting at once) apply each file once.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import psycopg

_LOCK = 0x62726467  # "brdg": the advisory lock id of schema changes
_TABLE = """CREATE TABLE IF NOT EXISTS bridge_schema_migrations (
    version    TEXT PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
)"""


def migrations() -> list[tuple[str, str]]:
    """(version, SQL) of every migration shipped with this version, in order."""
    folder = resources.files("bridge.durable") / "migrations"
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)
    return [(f.name.removesuffix(".sql"), f.read_text(encoding="utf-8")) for f in files]


def _applied(conn: psycopg.Connection[Any]) -> set[str]:
    found = conn.execute("SELECT to_regclass('bridge_schema_migrations')").fetchone()
    if found is None or found[0] is None:
        return set()
    return {row[0] for row in conn.execute("SELECT version FROM bridge_schema_migrations")}


def pending_migrations(conn: psycopg.Connection[Any]) -> list[str]:
    applied = _applied(conn)
    return [version for version, _ in migrations() if version not in applied]


def upgrade(url: str) -> list[str]:
    """Apply every pending migration; the versions applied now."""
    done = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK,))
        try:
            conn.execute(_TABLE)
            applied = _applied(conn)
            for version, sql in migrations():
                if version in applied:
                    continue
                with conn.transaction():
                    conn.execute(sql.encode())
                    conn.execute(
                        "INSERT INTO bridge_schema_migrations (version) VALUES (%s)", (version,)
                    )
                done.append(version)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK,))
    return done
