"""A usage mistake in `bridge audit verify` is a usage error (exit 2), never presented as
tampering: only a real difference in the trail says "NOT intact"."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bridge.audit.chain import HashChainAuditTrail
from bridge.audit.export import export, read_export
from bridge.audit.log import MemoryAuditLog
from bridge.audit.verify import verify
from bridge.cli import app
from bridge.clock import ManualClock


@pytest.fixture
async def exported(tmp_path: Path) -> Path:
    clock = ManualClock(1_800_000_000)
    log = MemoryAuditLog()
    trail = HashChainAuditTrail(log, clock)
    for n in range(3):
        await trail.consent_decided(
            subject=f"pairwise-{n}", client_id="gd-platform-dev", claims=["name"], allowed=True
        )
    path = tmp_path / "audit.jsonl"
    with path.open("w", encoding="utf-8") as out:
        await export(log, out)
    return path


@pytest.mark.parametrize("garbage", ["garbage", "3", "3:abc", "x:" + "0" * 64, "3:" + "G" * 64])
def test_a_malformed_expected_head_is_a_usage_error(exported: Path, garbage: str) -> None:
    result = CliRunner().invoke(
        app, ["audit", "verify", "--file", str(exported), "--expect-head", garbage]
    )
    assert result.exit_code == 2
    assert "not a valid head" in result.output
    assert "NOT intact" not in result.output


def test_a_well_formed_head_is_still_checked(exported: Path) -> None:
    head = verify(read_export(exported)).head
    intact = CliRunner().invoke(
        app, ["audit", "verify", "--file", str(exported), "--expect-head", head]
    )
    assert intact.exit_code == 0, intact.output
    other = head.split(":")[0] + ":" + "0" * 64
    rewritten = CliRunner().invoke(
        app, ["audit", "verify", "--file", str(exported), "--expect-head", other]
    )
    assert rewritten.exit_code == 1
    assert "NOT intact" in rewritten.output
