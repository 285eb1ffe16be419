"""A private PostgreSQL for a bench run that was given no `--database`: the tests'
`initdb` cluster (fsync off, loopback, a free port), migrated, removed at the end."""

from __future__ import annotations

import importlib
from contextlib import ExitStack

from bridge.durable.migrations_runner import upgrade


def private_database(stack: ExitStack) -> str:
    # Imported by name: the test support is not part of the type-checked packages.
    support = importlib.import_module("tests.support.postgres_server")
    bindir = support.find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed (initdb); or pass --database")
    cluster = stack.enter_context(support.running_cluster(bindir))
    url = str(cluster.create_database("bench"))
    upgrade(url)
    return url
