"""The assurance scale every sign-in's `acr` is on, whichever upstream it came from:
Guangdong's real-name levels L0 (weakest) to L3, onto which the claim rules map iAM
Smart's account types too (an iAM Smart sign-in is L2)."""

from __future__ import annotations

from typing import Literal

LEVELS = ("L0", "L1", "L2", "L3")
Level = Literal["L0", "L1", "L2", "L3"]


def meets(acr: str | None, minimum: str | None) -> bool:
    """Whether a sign-in at `acr` satisfies a requirement of `minimum` (None: none).
    An unknown or missing `acr` satisfies no requirement."""
    if minimum is None:
        return True
    if acr not in LEVELS:
        return False
    return LEVELS.index(acr) >= LEVELS.index(minimum)
