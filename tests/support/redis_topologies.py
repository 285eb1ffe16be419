"""Real Redis topologies for the tests, started as plain processes on free loopback ports:
a primary with two replicas watched by three sentinels, and a Cluster of three masters
each with a replica.

The Sentinel data nodes run as README recommends for production: `min-replicas-to-write
1`, so a primary that lost its replicas (an old primary after a failover) refuses
writes instead of accepting ones the new primary will never see; hence two replicas,
so that the promoted one still has a replica to write with.

Nothing is kept on disk beyond the run, and each is torn down at the end of the session.
Tests never touch a Redis they did not start.

Both can be broken on purpose — a manual failover, a primary or a master killed — and
`restore()` brings the killed node back (as a replica of whoever was promoted) and waits
until the topology is whole again, so the next test starts from a healthy one.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import redis

from tests.support.ports import free_port

SERVICE = "bridge-test"
INSTALL_HINT = (
    "redis-sentinel is not installed, and the Sentinel tests need a real one. Install it "
    "with: sudo apt-get install -y redis-sentinel  (Debian/Ubuntu; scripts/setup --test "
    "does this)."
)


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(redis.RedisError, OSError):
            if check():
                return
        time.sleep(0.05)
    raise RuntimeError(f"{what}: not within {timeout} s")


@dataclass
class Node:
    """One redis-server (or sentinel) process and the arguments to start it again."""

    argv: list[str]
    port: int
    proc: subprocess.Popen[bytes] | None = None
    _client: redis.Redis | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - fixed binaries, fixed arguments
            self.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        wait_until(lambda: self.client().ping(), 10, f"redis on {self.port} answering")

    def client(self) -> redis.Redis:
        """One control connection per node (it reconnects after a restart)."""
        if self._client is None:
            self._client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)
        return self._client

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def _server_argv(binary: str, port: int, workdir: Path, *extra: str) -> list[str]:
    return [
        binary,
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        str(workdir),
        "--daemonize",
        "no",
        "--loglevel",
        "warning",
        "--repl-diskless-sync-delay",
        "0",  # a replica (re)joining syncs at once, not after the default 5 s
        *extra,
    ]


@dataclass
class SentinelTopology:
    data: list[Node]
    sentinels: list[Node]
    workdir: Path
    killed: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        hosts = ",".join(f"127.0.0.1:{s.port}" for s in self.sentinels)
        return f"redis+sentinel://{hosts}/{SERVICE}/0"

    def primary_port(self) -> int:
        for sentinel in self.sentinels:
            with contextlib.suppress(redis.RedisError):
                _host, port = sentinel.client().sentinel_get_master_addr_by_name(SERVICE)
                return int(port)
        raise RuntimeError("no sentinel answered")

    def primary(self) -> Node:
        port = self.primary_port()
        return next(node for node in self.data if node.port == port)

    def flush(self) -> None:
        self.primary().client().flushall()

    def failover(self) -> None:
        """`SENTINEL FAILOVER`: the replica is promoted without waiting for agreement."""
        self.sentinels[0].client().execute_command("SENTINEL", "FAILOVER", SERVICE)

    def kill_primary(self) -> Node:
        node = self.primary()
        node.kill()
        self.killed.append(node)
        return node

    def wait_for_primary_other_than(self, port: int, timeout: float = 20) -> None:
        def moved() -> bool:
            new = self.primary_port()
            if new == port:
                return False
            info = self.primary().client().info("replication")
            return bool(info["role"] == "master")

        wait_until(moved, timeout, "the sentinels promoting a replica")

    def restore(self, timeout: float = 30) -> None:
        """Killed nodes back (the sentinels make them replicas), and every sentinel
        agreeing on a primary that has a replica in sync."""
        for node in self.killed:
            node.start()
        self.killed.clear()

        def whole() -> bool:
            primary = self.primary_port()
            agreed = all(
                int(s.client().sentinel_get_master_addr_by_name(SERVICE)[1]) == primary
                for s in self.sentinels
            )
            info = self.primary().client().info("replication")
            replicas = [
                info[k] for k in info if k.startswith("slave") and isinstance(info[k], dict)
            ]
            in_sync = any(r.get("state") == "online" for r in replicas)
            return agreed and info["role"] == "master" and in_sync

        wait_until(whole, timeout, "the Sentinel topology whole again")
        for node in self.data:  # replicas in sync with nothing left half-copied
            if node.port != self.primary_port():
                wait_until(
                    lambda n=node: n.client().info("replication").get("master_link_status") == "up",
                    timeout,
                    "the replica linked",
                )

    def stop(self) -> None:
        for node in [*self.sentinels, *self.data]:
            node.stop()


@contextlib.contextmanager
def sentinel_topology(server: str, sentinel: str) -> Iterator[SentinelTopology]:
    workdir = Path(tempfile.mkdtemp(prefix="bridge-test-sentinel-"))
    ports = [free_port() for _ in range(3)]
    guard = ["--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"]
    data = []
    for n, port in enumerate(ports):
        follow = ["--replicaof", "127.0.0.1", str(ports[0])] if n else []
        (workdir / f"data-{n}").mkdir()
        argv = _server_argv(server, port, workdir / f"data-{n}", *guard, *follow)
        data.append(Node(argv, port))
    primary_port = ports[0]
    sentinels = []
    for n in range(3):
        port = free_port()
        conf = workdir / f"sentinel-{n}.conf"
        conf.write_text(
            f'port {port}\nbind 127.0.0.1\ndaemonize no\ndir {workdir}\nlogfile ""\n'
            f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2\n"
            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
            f"sentinel failover-timeout {SERVICE} 3000\n"
            f"sentinel parallel-syncs {SERVICE} 1\n"
        )
        sentinels.append(Node([sentinel, str(conf), "--loglevel", "warning"], port))
    topology = SentinelTopology(data, sentinels, workdir)
    try:
        for node in data:
            node.start()
        for node in sentinels:
            node.start()
        topology.restore()
        yield topology
    finally:
        topology.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@dataclass
class ClusterTopology:
    nodes: list[Node]
    workdir: Path
    killed: list[Node] = field(default_factory=list)

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{n.port}" for n in self.nodes[:3])

    def client(self) -> redis.RedisCluster:
        live = next(n for n in self.nodes if n.alive)
        return redis.RedisCluster(host="127.0.0.1", port=live.port, socket_timeout=2)

    def masters(self) -> list[Node]:
        roles = []
        for node in self.nodes:
            if node.alive and node.client().info("replication")["role"] == "master":
                roles.append(node)
        return roles

    def master_for(self, key: str) -> Node:
        cluster = self.client()
        try:
            port = cluster.get_node_from_key(key).port
        finally:
            cluster.close()
        return next(n for n in self.nodes if n.port == port)

    def flush(self) -> None:
        for node in self.masters():
            node.client().flushall()

    def kill_master_for(self, key: str) -> Node:
        node = self.master_for(key)
        node.kill()
        self.killed.append(node)
        return node

    def healthy(self) -> bool:
        live = [n for n in self.nodes if n.alive]
        ok = all(n.client().execute_command("CLUSTER INFO")["cluster_state"] == "ok" for n in live)
        return ok and len(self.masters()) == 3

    def restore(self, timeout: float = 40) -> None:
        for node in self.killed:
            node.start()  # rejoins from its nodes.conf, as a replica of its promoted one
        self.killed.clear()
        wait_until(self.healthy, timeout, "the Cluster whole again")
        wait_until(
            lambda: all(
                n.client().info("replication").get("master_link_status", "up") == "up"
                for n in self.nodes
            ),
            timeout,
            "every Cluster replica linked",
        )

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@contextlib.contextmanager
def cluster_topology(server: str, cli: str) -> Iterator[ClusterTopology]:
    workdir = Path(tempfile.mkdtemp(prefix="bridge-test-cluster-"))
    nodes = []
    for n in range(6):
        port = free_port(with_bus=True)
        nodedir = workdir / f"node-{n}"
        nodedir.mkdir()
        argv = _server_argv(
            server,
            port,
            nodedir,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            "nodes.conf",
            "--cluster-node-timeout",
            "1000",
            "--cluster-replica-validity-factor",
            "0",  # a replica may always take over: the tests kill masters on purpose
        )
        nodes.append(Node(argv, port))
    topology = ClusterTopology(nodes, workdir)
    try:
        for node in nodes:
            node.start()
        subprocess.run(  # noqa: S603 - fixed binary, fixed arguments
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{n.port}" for n in nodes),
                "--cluster-replicas",
                "1",
                "--cluster-yes",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=60,
        )
        topology.restore()
        yield topology
    finally:
        topology.stop()
        shutil.rmtree(workdir, ignore_errors=True)
