"""Start-up refuses a PostgreSQL schema that is behind this version's migrations, and
says which migrations are missing and what to run; `bridge db upgrade` fixes it."""

from __future__ import annotations

import uuid
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from bridge.cli import app as cli
from bridge.durable.migrations_runner import migrations
from bridge.errors import ConfigError
from tests.flows.conftest import running_chain


def _start(tmp_path: Path, database_url: str) -> None:
    with running_chain(tmp_path, None, settings_overrides={"database_url": database_url}):
        pass


def test_a_database_one_migration_behind_is_refused_until_upgraded(
    tmp_path: Path, database_url: str
) -> None:
    latest = migrations()[-1][0]
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("DELETE FROM bridge_schema_migrations WHERE version = %s", (latest,))
    with pytest.raises(ConfigError) as refused:
        _start(tmp_path, database_url)
    message = str(refused.value)
    assert latest in message and "bridge db upgrade" in message
    assert "schema is behind" in message


def test_an_empty_database_is_refused_and_bridge_db_upgrade_makes_it_current(
    tmp_path: Path, database_url: str
) -> None:
    base, _, _ = database_url.rpartition("/")
    name = f"bridge_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    empty = f"{base}/{name}"
    with pytest.raises(ConfigError) as refused:
        _start(tmp_path, empty)
    assert all(version in str(refused.value) for version, _ in migrations())

    result = CliRunner().invoke(cli, ["db", "upgrade", "--database", empty])
    assert result.exit_code == 0, result.output
    assert "applied:" in result.output
    _start(tmp_path / "again", empty)  # starts now
    again = CliRunner().invoke(cli, ["db", "upgrade", "--database", empty])
    assert "schema is up to date" in again.output
