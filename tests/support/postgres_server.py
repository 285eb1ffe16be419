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
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

from bridge.durable.migrations_runner import upgrade
from tests.support.ports import free_port

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


class PostgresCluster:
    """One `initdb`-made cluster in `workdir`, on `port`; stopped and started again by
    tests of what the bridge does while PostgreSQL is away."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.workdir = Path(tempfile.mkdtemp(prefix="bridge-test-pg-"))
        if os.geteuid() == 0:
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        self.data, self.port = self.workdir / "data", free_port()
        self.base = f"postgresql://postgres@127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        subprocess.run(  # noqa: S603 - fixed binary, fixed arguments
            _as_owner(
                [
                    str(bindir / "initdb"),
                    "-D",
                    str(self.data),
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

    def start(self) -> None:
        self._proc = subprocess.Popen(  # noqa: S603 - fixed binary, fixed arguments
            _as_owner(
                [
                    str(self.bindir / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    f"unix_socket_directories={self.workdir}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "max_connections=200",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(f"{self.base}/postgres", connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if self._proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the test PostgreSQL did not start") from None
                time.sleep(0.1)

    def stop(self, *, fast: bool = False) -> None:
        """SIGTERM (smart: waits for sessions to end) or SIGINT (fast: ends them, as a
        crash or an operator's `pg_ctl stop -m fast` would)."""
        if self._proc is None:
            return
        # The postmaster itself, not `runuser` in front of it (which passes on SIGTERM
        # only): its pid is the first line of postmaster.pid.
        pid = int((self.data / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT if fast else signal.SIGTERM)
        try:
            self._proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._proc = None

    def create_database(self, name: str, template: str | None = None) -> str:
        with psycopg.connect(f"{self.base}/postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return f"{self.base}/{name}"

    def remove(self) -> None:
        self.stop(fast=True)
        shutil.rmtree(self.workdir, ignore_errors=True)


@contextlib.contextmanager
def running_cluster(bindir: Path) -> Iterator[PostgresCluster]:
    cluster = PostgresCluster(bindir)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@contextlib.contextmanager
def private_postgres(bindir: Path) -> Iterator[str]:
    """The URL of the cluster's template database, migrated to the current schema."""
    with running_cluster(bindir) as cluster:
        url = cluster.create_database(TEMPLATE)
        upgrade(url)
        yield url


def fresh_database(template_url: str) -> str:
    """A new, empty, migrated database copied from the template; its URL."""
    base, _, _ = template_url.rpartition("/")
    name = f"bridge_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
    return f"{base}/{name}"
