"""Ports for servers that a test starts as child processes, which bind them themselves
(`redis-server`, PostgreSQL, `bridge serve`, `bridge demo`).

A port found by binding port 0 and closing the socket comes from the kernel's ephemeral
range, where every other test process's port-0 bind and every outgoing connection take
theirs too; with four test processes, one of them could take it before the child bound
it. These come from below that range (10000–19999, and 20000–29999 for a Redis Cluster
node's bus at port + 10000), in a block of their own per test process (pytest-xdist's
worker number), and each is checked free when it is handed out.
"""

from __future__ import annotations

import itertools
import os
import socket
from collections.abc import Iterator

_FIRST = 10_000
_BLOCK = 1_000  # ten test processes fit below 20000
_BUS_OFFSET = 10_000  # Redis Cluster: the node's bus listens on port + 10000


def _worker() -> int:
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")  # gw0, gw1, … (unset: one process)
    digits = name.removeprefix("gw")
    return int(digits) % 10 if digits.isdigit() else 0


def _candidates() -> Iterator[int]:
    start = _FIRST + _worker() * _BLOCK
    return itertools.cycle(range(start, start + _BLOCK))


_NEXT = _candidates()


def _is_free(port: int) -> bool:
    # SO_REUSEADDR as the servers set it: a port in TIME_WAIT is free for them too; one
    # that something listens on is not.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def free_port(*, with_bus: bool = False) -> int:
    """A free loopback port; with `with_bus`, port + 10000 is free too."""
    for _ in range(_BLOCK):
        port = next(_NEXT)
        if _is_free(port) and (not with_bus or _is_free(port + _BUS_OFFSET)):
            return port
    raise RuntimeError(f"no free port in this test process's block of {_BLOCK}")


def free_ports(count: int) -> list[int]:
    return [free_port() for _ in range(count)]
