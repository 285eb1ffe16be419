"""Claim values handed over at UserInfo are recorded in the audit trail by claim name,
pairwise subject, client and grant — never the values."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.flows.exchange_support import running_exchange_chain


def test_userinfo_release_is_audited_by_claim_name_only(
    tmp_path: Path, redis_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_exchange_chain(tmp_path, redis_url) as xc:
        tokens = xc.sign_in("portal-a", "wong-wing-fung", scope="openid profile")
        capsys.readouterr()
        info = xc.rp().userinfo(tokens["access_token"])
        assert info.status_code == 200
        released = info.json()
        logged = capsys.readouterr()
    lines = [line for line in (logged.out + logged.err).splitlines() if "audit.release" in line]
    assert len(lines) == 1, lines
    line = lines[0]
    assert released["sub"] in line and "portal-a" in line
    for claim, value in released.items():
        if claim != "sub":
            assert claim in line
            assert str(value) not in line, f"the value of {claim} reached the log"
