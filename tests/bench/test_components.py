"""`python -m bench.profile` sorts py-spy's samples into the components its report
names; a sample taken in a shared helper goes to the component that called it.

py_spy_samples.txt holds real lines of `py-spy record --format raw` taken on a bridge
worker serving token exchange, one per line in the order of EXPECTED.
"""

from __future__ import annotations

from pathlib import Path

from bench.components import aggregate, component, unclaimed

LINES = (Path(__file__).parent / "py_spy_samples.txt").read_text().splitlines()
EXPECTED = [
    "(un)sealing",  # Sealer.open, under the store's records
    "JOSE",  # cryptography's ECDSA, called by joserfc
    "store round trips",  # asyncio's StreamWriter, called by redis-py
    "HTTP/ASGI",  # the bare event loop (uvloop's C code) inside uvicorn's Server.run
    "pydantic",  # model_validate_json, called by the store
    "form parsing",  # urllib's unquote
    "other",  # no Python frame at all
    "logging",  # structlog's JSON renderer
    "audit",  # the audit trail's digest
]


def _stack(line: str) -> list[str]:
    return line.rpartition(" ")[0].split(";")


def test_each_sample_goes_to_the_innermost_component() -> None:
    assert [component(_stack(line)) for line in LINES] == EXPECTED


def test_shared_helpers_belong_to_their_caller() -> None:
    jose = _stack(LINES[1])
    assert jose[-1].startswith("ECDSA.__init__ (cryptography/")
    sealed = [*_stack(LINES[0]), "AESGCM.decrypt (cryptography/hazmat/aead.py:1)"]
    assert component(sealed) == "(un)sealing"


def test_aggregate_counts_samples_not_lines() -> None:
    totals = aggregate("\n".join(LINES))
    assert totals["HTTP/ASGI"] == 41
    assert totals["(un)sealing"] == 3
    assert sum(totals.values()) == 41 + 3 + 3 + 3 + 1 + 1 + 1 + 1 + 1
    assert totals["other"] == 3
    assert unclaimed("\n".join(LINES)) == [("(no Python frame)", 3)]
