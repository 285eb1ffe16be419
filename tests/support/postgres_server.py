"""A private PostgreSQL cluster for the test session, made with `initdb` in a temporary
directory and listening on a free loopback port (never the machine's own on 5432).

PostgreSQL refuses to run as root; when the tests run as root (CI does), the cluster
is created and run as the `postgres` user (`runuser`), in a directory that user owns.
Each test gets a database of its own, copied from a migrated template.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bridge.durable.migrations_runner import upgrade
from tests.support.redis_topologies import free_port

INSTALL_HINT = (
    "PostgreSQL is not installed, and the durable-store tests need a real one. Install "
    "it with: sudo apt-get install -y postgresql  (Debian/Ubuntu; scripts/setup --test "
    "does this), or set PG_BINDIR to the directory holding initdb and postgres."
)
TEMPLATE = "bridge_template"


def find_bindir() -> Path | None:
    explicit = os.environ.get("PG_BINDIR")
    if explicit:
        return Path(explicit)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _as_owner(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    return ["runuser", "-u", "postgres", "--", *argv]


@contextlib.contextmanager
def private_postgres(bindir: Path) -> Iterator[str]:
    """The URL of the cluster's template database, migrated to the current schema."""
    workdir = Path(tempfile.mkdtemp(prefix="bridge-test-pg-"))
    if os.geteuid() == 0:
        os.chown(workdir, pwd.getpwnam("postgres").pw_uid, pwd.getpwnam("postgres").pw_gid)
    data, port = workdir / "data", free_port()
    subprocess.run(  # noqa: S603 - fixed binary, fixed arguments
        _as_owner(
            [
                str(bindir / "initdb"),
                "-D",
                str(data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    proc = subprocess.Popen(  # noqa: S603 - fixed binary, fixed arguments
        _as_owner(
            [
                str(bindir / "postgres"),
                "-D",
                str(data),
                "-p",
                str(port),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                f"unix_socket_directories={workdir}",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"postgresql://postgres@127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
                    conn.execute(f"CREATE DATABASE {TEMPLATE}")
                break
            except psycopg.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test PostgreSQL did not start") from None
                time.sleep(0.1)
        upgrade(f"{base}/{TEMPLATE}")
        yield f"{base}/{TEMPLATE}"
    finally:
        proc.terminate()  # SIGTERM: smart shutdown; the sessions are gone by now
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def fresh_database(template_url: str) -> str:
    """A new, empty, migrated database copied from the template; its URL."""
    base, _, _ = template_url.rpartition("/")
    name = f"bridge_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return f"{base}/{name}"
