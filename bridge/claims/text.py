"""Upstream text made safe to release: no control or invisible formatting characters.

A name from an identity provider carrying U+202E (right-to-left override) displays
reversed in a client's UI ("spoofed" names, file-name tricks); CR/LF inside a value
breaks line-oriented consumers (headers, CSV, logs) downstream. Nothing a resident's
name or address legitimately needs is in Unicode's Cc or Cf categories, except ZWNJ and
ZWJ (U+200C, U+200D), which some scripts and emoji sequences require. Line breaks and
tabs become a space, so words do not run together; every other such character is
dropped. Applied to what an upstream sent, before any transform: a transform's own
output (an address `formatted` with newlines, OIDC Core §5.1.1) is left alone.
"""

from __future__ import annotations

import unicodedata
from typing import Any

_KEPT = frozenset("\u200c\u200d")
_SPACED = frozenset("\t\n\v\f\r\x85\u2028\u2029")


def _clean_char(char: str) -> str:
    if char in _SPACED:
        return " "
    if char in _KEPT or unicodedata.category(char) not in ("Cc", "Cf", "Zl", "Zp"):
        return char
    return ""


def clean_text(text: str) -> str:
    if text.isascii() and text.isprintable():  # the common case, without a per-char walk
        return text
    return "".join(_clean_char(c) for c in text)


def cleaned(value: Any) -> Any:
    """`value` with every string in it (also inside lists and objects) cleaned."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, list):
        return [cleaned(v) for v in value]
    if isinstance(value, dict):
        return {k: cleaned(v) for k, v in value.items()}
    return value
