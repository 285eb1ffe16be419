"""Transforms: pure functions turning one upstream value into one claim value.

A rule names a transform (`transform: e164_phone`) or gives a parameterised one
(`transform: {code_table: {...}}`). Each function takes the value found at the rule's
source path and returns the claim value, or raises `TransformError`. The error's reason
is logged, so it never contains the value: the values are personal data.

Section numbers refer to docs/protocols.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import Any, TypeVar

import opencc

from bridge.claims.address import format_hk_address
from bridge.claims.sources import SCALAR_SHAPES, Shape

Transform = Callable[[Any], Any]
_F = TypeVar("_F", bound=Transform)


class TransformError(ValueError):
    """The value cannot become the claim. The message names the problem, never the value."""


@dataclass(frozen=True, slots=True)
class RegisteredTransform:
    name: str
    func: Transform
    accepts: frozenset[Shape]
    """Source shapes the function understands (checked when the rule file loads)."""


_REGISTRY: dict[str, RegisteredTransform] = {}

TRANSFORMS: Mapping[str, RegisteredTransform] = MappingProxyType(_REGISTRY)
"""Transform name (as written in a rule file) → function."""


def _register(name: str, *accepts: Shape) -> Callable[[_F], _F]:
    def add(func: _F) -> _F:
        _REGISTRY[name] = RegisteredTransform(name, func, frozenset(accepts))
        return func

    return add


_ASCII_DIGITS = re.compile(r"[0-9]+")


def release_as_is(value: Any) -> Any:
    """The value unchanged, for rules without a transform; only single values qualify."""
    if isinstance(value, str | int | float | bool):
        return value
    raise TransformError("a structure where a single value was expected")


@functools.cache
def _hk2s() -> Callable[[str], str]:
    # Building an OpenCC converter loads its dictionaries; do it once per process.
    convert: Callable[[str], str] = opencc.OpenCC("hk2s").convert
    return convert


@_register("hk_to_simplified", Shape.TEXT)
def hk_to_simplified(value: Any) -> str:
    """Hong Kong Traditional → Simplified Chinese with OpenCC `hk2s` (§1.17, `cn` row).

    `hk2s` knows Hong Kong variant forms (峯 → 峰) that the generic `t2s` misses.
    The result is for display beside the Traditional original, never for matching.
    """
    if not isinstance(value, str):
        raise TransformError("not text")
    return _hk2s()(value)


@functools.cache
def _s2hk() -> Callable[[str], str]:
    convert: Callable[[str], str] = opencc.OpenCC("s2hk").convert
    return convert


@_register("simplified_to_hk", Shape.TEXT)
def simplified_to_hk(value: Any) -> str:
    """Simplified → Hong Kong Traditional Chinese with OpenCC `s2hk` (陈发明 → 陳發明).

    Simplified-to-Traditional is one-to-many (发 is 發 or 髮; 后 is 後 or 后): OpenCC
    picks by phrase, so the result is for display beside the Simplified original, never
    for matching a name against Hong Kong records.
    """
    if not isinstance(value, str):
        raise TransformError("not text")
    return _s2hk()(value)


@_register("yyyymmdd_to_iso_date", Shape.YYYYMMDD)
def yyyymmdd_to_iso_date(value: Any) -> str:
    """`birthDate` `YYYYMMDD` (§1.11) → `YYYY-MM-DD` (OIDC Core §5.1 `birthdate`).

    A date that does not exist in the calendar (19900231) is refused.
    """
    if not isinstance(value, str) or len(value) != 8 or not _ASCII_DIGITS.fullmatch(value):
        raise TransformError("not an 8-digit YYYYMMDD date")
    try:
        parsed = date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise TransformError("not a calendar date") from None
    return parsed.isoformat()


@_register("epoch_ms_to_seconds", Shape.EPOCH_MS)
def epoch_ms_to_seconds(value: Any) -> int:
    """`lastModifiedDate` in epoch milliseconds (§1.6) → whole seconds (OIDC `updated_at`)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise TransformError("not a non-negative integer number of milliseconds")
    return value // 1000


_E164_MAX_DIGITS = 15
# E.164 sets no minimum; shorter than a 1-digit country code plus a 6-digit number is
# not a mobile number anyone can be reached on.
_E164_MIN_DIGITS = 7


def _phone_part(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip().replace(" ", "").replace("-", "")
    return text if _ASCII_DIGITS.fullmatch(text) else None


@_register("e164_phone", Shape.PHONE)
def e164_phone(value: Any) -> str:
    """`{CountryCode, [NationalDestinationCode,] SubscriberNumber}` (§1.11) → E.164.

    Without a country code the number cannot be made international, so it is refused
    rather than guessed (a resident may register a Mainland number).
    """
    if not isinstance(value, Mapping):
        raise TransformError("not a phone number structure")
    raw_country = value.get("CountryCode")
    if isinstance(raw_country, str):
        raw_country = raw_country.strip().removeprefix("+")
    country = _phone_part(raw_country)
    if country is None or len(country) > 3 or country.startswith("0"):
        raise TransformError("missing or malformed country code")
    subscriber = _phone_part(value.get("SubscriberNumber"))
    if subscriber is None:
        raise TransformError("missing or malformed subscriber number")
    area = ""
    if value.get("NationalDestinationCode") not in (None, ""):
        area = _phone_part(value.get("NationalDestinationCode")) or ""
        if not area:
            raise TransformError("malformed national destination code")
    digits = country + area + subscriber
    if not _E164_MIN_DIGITS <= len(digits) <= _E164_MAX_DIGITS:
        raise TransformError("not a plausible E.164 length")
    return "+" + digits


_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")


@_register("mainland_mobile_to_e164", Shape.TEXT)
def mainland_mobile_to_e164(value: Any) -> str:
    """A Mainland mobile number as Guangdong's platform keeps it (11 digits starting 1,
    perhaps with +86 or 86 in front) → E.164 `+86…`. Anything else (a landline, a Hong
    Kong number) is refused rather than guessed."""
    text = _phone_part(value.removeprefix("+") if isinstance(value, str) else value)
    if text is None:
        raise TransformError("not a phone number")
    if len(text) == 13 and text.startswith("86"):
        text = text[2:]
    if not _MAINLAND_MOBILE.fullmatch(text):
        raise TransformError("not a Mainland mobile number")
    return "+86" + text


_HKIC_ID = re.compile(r"[A-Z]{1,2}[0-9]{6}")
_HKIC_CHECK = re.compile(r"[0-9A]")


def hkic_check_digit(identification: str) -> str:
    """The check digit of an HKIC number (§1.11): weights 9..2 over the number left-padded
    to 8 characters with a space (space 36, A-Z 10-35), check = (11 - sum mod 11) mod 11."""
    padded = identification.rjust(8)
    total = 0
    for weight, char in zip(range(9, 1, -1), padded, strict=True):
        if char == " ":
            total += 36 * weight
        elif char.isdigit():
            total += int(char) * weight
        else:
            total += (ord(char) - ord("A") + 10) * weight
    check = (11 - total % 11) % 11
    return "A" if check == 10 else str(check)


@_register("hkic_number", Shape.HKIC)
def hkic_number(value: Any) -> str:
    """`idNo {Identification, CheckDigit}` (§1.11) → `A123456(3)` as printed on the card.

    A check digit that does not match means corrupted data; releasing a wrong identity
    number across the boundary is worse than releasing none.
    """
    if not isinstance(value, Mapping):
        raise TransformError("not an HKIC structure")
    ident, check = value.get("Identification"), value.get("CheckDigit")
    if not isinstance(ident, str) or not _HKIC_ID.fullmatch(ident):
        raise TransformError("malformed HKIC identification")
    if not isinstance(check, str) or not _HKIC_CHECK.fullmatch(check):
        raise TransformError("malformed HKIC check digit")
    if hkic_check_digit(ident) != check:
        raise TransformError("HKIC check digit does not match")
    return f"{ident}({check})"


@_register("hk_address_to_oidc", Shape.HK_ADDRESS)
def hk_address_to_oidc(value: Any) -> dict[str, str]:
    """HK structured address (§1.11, §1.17) → OIDC Core §5.1.1 address `{"formatted": ...}`.

    The supported fields are listed in `bridge.claims.address`.
    """
    if not isinstance(value, Mapping):
        raise TransformError("not an address structure")
    line = format_hk_address(value)
    if line is None:
        raise TransformError("no supported address form")
    return {"formatted": line}


CODE_TABLE_ACCEPTS = frozenset({Shape.CODE, Shape.TEXT, Shape.UNKNOWN})


def code_table(table: Mapping[str, str], otherwise: str | None) -> Transform:
    """A lookup: GB/T 2261.1 sex from `gender` (§2.6, §1.17), levels from `userType` (§3).

    A code missing from the table gives `otherwise`, or is refused when there is none.
    """
    frozen = dict(table)

    def lookup(value: Any) -> str:
        if not isinstance(value, str):
            raise TransformError("not a code")
        found = frozen.get(value, otherwise)
        if found is None:
            raise TransformError("code not in the table")
        return found

    return lookup


AS_IS_ACCEPTS = SCALAR_SHAPES
