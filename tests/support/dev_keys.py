"""Development keys for a test's bridge, generated once per test process and copied.

Generating them (an RSA-2048 iAM Smart KEK, RSA-2048 and P-256 signing keys) takes
0.5–0.9 s on this 2-core machine; a flow test starts a chain hundreds of times. A copy
is the same key material in a fresh directory, so a test that rotates or removes keys
still affects only its own.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from pathlib import Path

from bridge.clock import ManualClock
from bridge.development_keys import ensure_development_keys

_TEMPLATES: dict[float, Path] = {}
_PROCESS_STARTED = time.time()


def _template(created_at: float) -> Path:
    template = _TEMPLATES.get(created_at)
    if template is None:
        root = Path(tempfile.mkdtemp(prefix="bridge-test-keys-"))
        atexit.register(shutil.rmtree, root, ignore_errors=True)
        template = root / "keys"
        ensure_development_keys(template, ManualClock(created_at))
        _TEMPLATES[created_at] = template
    return template


def development_keys(keys_dir: Path, clock: ManualClock) -> None:
    """What `ensure_development_keys` makes, as of the clock's time, in `keys_dir`."""
    if keys_dir.exists() and any(keys_dir.iterdir()):
        ensure_development_keys(keys_dir, clock)  # fill in only what is missing
        return
    shutil.copytree(_template(clock.now()), keys_dir, dirs_exist_ok=True)


def development_keys_now(keys_dir: Path) -> None:
    """Development keys for a test on the real clock (a `bridge serve` process, say):
    made when this test process started, so at most the length of a test run old."""
    development_keys(keys_dir, ManualClock(_PROCESS_STARTED))
