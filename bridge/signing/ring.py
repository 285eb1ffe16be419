"""This instance's view of the shared key set, kept current without a restart.

`KeyRing.current` is the `keys: Callable[[], KeySet]` every signer and verifier holds;
it only returns what the ring holds, so signing never waits for I/O. A background task
(`run`, started by the app's lifespan) re-reads the index every
`keys_refresh_interval` seconds — the bound on how long a change takes to reach this
instance — and runs the schedule's maintenance (`manager.py`). A key set that cannot be
read, or that development keys would sneak into outside development, is not adopted:
the instance keeps serving the one it has, and says so in the log and the metrics.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

import structlog

from bridge.clock import Clock
from bridge.errors import SigningKeyError
from bridge.settings import Settings
from bridge.signing.encryption import encryption_key_from_settings
from bridge.signing.index import KeyIndex
from bridge.signing.keys import SigningKey
from bridge.signing.keyset import KeySet
from bridge.signing.locks import KeySetLock
from bridge.signing.manager import KeyManager, Outcome
from bridge.signing.policy import RotationPolicy
from bridge.signing.storage import KeyFiles
from bridge.store.backend import KeyValueBackend

if TYPE_CHECKING:
    from bridge.metrics import BridgeMetrics

log = structlog.get_logger(__name__)


class Ticker(Protocol):
    async def wait(self, seconds: float) -> None:
        """Return when the next background step is due."""
        ...


class SleepingTicker:
    async def wait(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


@dataclass
class LoadedKeys:
    """The key set as read at start-up, with every problem found."""

    files: KeyFiles
    policy: RotationPolicy
    index: KeyIndex | None = None
    keyset: KeySet | None = None
    problems: list[str] = field(default_factory=list)


def refusals(index: KeyIndex, files: KeyFiles, *, development: bool) -> list[str]:
    if development:
        return []
    if any(e.development for e in index.keys):
        return [f"{files.keys_dir} holds development keys, refused outside development"]
    if plain := files.plaintext_keys(index):
        return [f"{files.directory} holds unencrypted private keys: {', '.join(plain)}"]
    return []


def load_keys(settings: Settings) -> LoadedKeys:
    encryption, problems = encryption_key_from_settings(settings)
    policy = RotationPolicy.from_settings(settings)
    loaded = LoadedKeys(KeyFiles(settings.keys_dir, encryption), policy)
    loaded.problems += problems + policy.problems()
    directory = loaded.files.directory
    if policy.automatic and directory.is_dir() and not os.access(directory, os.W_OK):
        loaded.problems.append(
            f"{directory} is not writable, but automatic rotation writes there "
            "(make it writable, or set BRIDGE_KEYS_ROTATION_PERIOD=0 and rotate elsewhere)"
        )
    try:
        loaded.index = loaded.files.require_index()
        loaded.problems += refusals(loaded.index, loaded.files, development=settings.development)
        loaded.keyset = loaded.files.load_keyset(loaded.index, default_alg=policy.algorithm)
    except SigningKeyError as exc:
        loaded.problems.append(str(exc))
    return loaded


class KeyRing:
    def __init__(
        self,
        loaded: LoadedKeys,
        *,
        clock: Clock,
        backend: KeyValueBackend | None,
        development: bool,
        metrics: BridgeMetrics | None = None,
    ) -> None:
        if loaded.index is None or loaded.keyset is None or loaded.problems:
            raise SigningKeyError("; ".join(loaded.problems) or "no key set")
        self.files = loaded.files
        self.policy = loaded.policy
        self.clock = clock
        self.manager = KeyManager(
            self.files,
            self.policy,
            KeySetLock(backend, self.files.lock_path),
            clock,
            development_allowed=development,
        )
        self._development = development
        self._metrics = metrics
        self._on_unknown_kid: Callable[[str], None] | None = (
            (lambda _kid: metrics.unknown_kid.inc()) if metrics is not None else None
        )
        self.index = loaded.index
        self._keyset = self._with_hook(loaded.keyset)
        self.refreshed_at = clock.now()
        self.loop: asyncio.AbstractEventLoop | None = None
        if metrics is not None:
            metrics.watch(self)

    def _with_hook(self, keyset: KeySet) -> KeySet:
        return KeySet(
            keyset.active, keyset.others, keyset.version, self._on_unknown_kid, keyset.signers
        )

    def current(self) -> KeySet:
        return self._keyset

    def _cache(self) -> dict[tuple[str, str], SigningKey]:
        return {(k.kid, k.alg): k for k in self._keyset.all}

    def adopt(self, index: KeyIndex) -> bool:
        """Serve the key set `index` describes; False if it is the one already served."""
        if index.version == self.index.version and index == self.index:
            self.refreshed_at = self.clock.now()
            return False
        problems = refusals(index, self.files, development=self._development)
        if problems:
            raise SigningKeyError("; ".join(problems))
        keyset = self.files.load_keyset(index, self._cache(), self.policy.algorithm)
        self.refreshed_at = self.clock.now()
        previous = self._keyset.active.kid
        self.index, self._keyset = index, self._with_hook(keyset)
        log.info(
            "keys.refreshed",
            version=index.version,
            active=keyset.active.kid,
            previous=previous if previous != keyset.active.kid else None,
        )
        return True

    def is_current(self, stale_after: float) -> bool:
        """Whether this instance read the shared key set recently enough to trust that it
        signs with, and publishes, what the others do."""
        return self.clock.now() - self.refreshed_at <= stale_after

    async def refresh(self) -> bool:
        return self.adopt(self.files.require_index())

    async def tick(self) -> Outcome | None:
        """One background step: read the shared key set, then do what the schedule asks."""
        try:
            await self.refresh()
        except SigningKeyError as exc:
            if self._metrics is not None:
                self._metrics.keyset_refresh_errors.inc()
            log.error("keys.refresh_failed", error=str(exc), serving=self.index.version)
            return None
        if not self.policy.automatic:
            return None
        outcome = await self.manager.maintain(self.index)
        if outcome is not None:
            for change in outcome.done:
                if self._metrics is not None:
                    self._metrics.key_changes.labels(change).inc()
            self.adopt(outcome.index)
        return outcome

    async def run(self, ticker: Ticker) -> None:
        """The background task: a first step at once, then one per refresh interval."""
        self.loop = asyncio.get_running_loop()
        delay = 0.0
        while True:
            await ticker.wait(delay)
            delay = self.policy.refresh_interval
            try:
                await self.tick()
            except Exception:  # the task must outlive any one failure; it is logged
                log.exception("keys.maintenance_failed")
