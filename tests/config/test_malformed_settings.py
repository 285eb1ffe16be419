"""A malformed BRIDGE_* variable is reported in a line or two that name the variable as
the operator wrote it and what it accepts: exit status 2, no traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.config.production import REPO


def bridge(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bridge", *args],
        cwd=REPO,
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    "command",
    [("config", "check"), ("serve", "--host", "127.0.0.1", "--port", "1"), ("keys", "list")],
)
@pytest.mark.parametrize(
    ("variable", "value", "accepts"),
    [
        ("BRIDGE_CODE_TTL", "abc", "accepts a whole number, at least 1 and at most 60"),
        ("BRIDGE_ENV", "prod", "'development' or 'production'"),
    ],
)
def test_a_malformed_variable_is_named_with_what_it_accepts(
    command: tuple[str, ...], variable: str, value: str, accepts: str
) -> None:
    result = bridge(*command, **{variable: value})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2, result.stderr
    assert f"{variable}: " in result.stderr
    assert accepts in result.stderr
    assert "Traceback" not in result.stderr
    assert variable.removeprefix("BRIDGE_").lower() + "\n" not in result.stderr
