"""Binding an iAM Smart identity (the bridge's pairwise `sub`) to a Guangdong account.

The rules imitate the 2023 cross-boundary scheme (docs/protocols.md §4.3): the resident
gives their 回乡证 number once; the account with that number is bound only if the name,
birth date and sex that iAM Smart vouched for (through the bridge) are the account's
own. An account is never created from iAM Smart data, and a refusal never tells which
field differed: that would let someone holding a permit number learn its owner's data
one field at a time.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from mock_idps.guangdong.accounts import PERMIT_NUMBER, Account, AccountDirectory

_MAX_INPUT = 64


class RefusalReason(StrEnum):
    MALFORMED_PERMIT = "malformed_permit"
    MISSING_CLAIMS = "missing_claims"
    UNKNOWN_PERMIT = "unknown_permit"
    MISMATCH = "mismatch"
    ALREADY_BOUND = "already_bound"


# An unknown number and a mismatch read the same to the resident, so the form cannot be
# used to find out which permit numbers have accounts.
_MESSAGE_KEYS: Mapping[RefusalReason, str] = {
    RefusalReason.MALFORMED_PERMIT: "bind.error.malformed",
    RefusalReason.MISSING_CLAIMS: "bind.error.missing_claims",
    RefusalReason.UNKNOWN_PERMIT: "bind.error.no_match",
    RefusalReason.MISMATCH: "bind.error.no_match",
    RefusalReason.ALREADY_BOUND: "bind.error.already_bound",
}


@dataclass(frozen=True, slots=True)
class BindingRefusal:
    reason: RefusalReason

    @property
    def message_key(self) -> str:
        """Catalog key of what the resident is told."""
        return _MESSAGE_KEYS[self.reason]


def normalise_permit_number(raw: str) -> str | None:
    """The number as stored (`H12345678`), or None when it cannot be a 回乡证 number.

    Spaces, a lower-case letter and full-width characters (a Chinese input method) are
    forgiven: residents copy the number from the card, where it may be grouped.
    """
    if len(raw) > _MAX_INPUT:
        return None
    number = "".join(unicodedata.normalize("NFKC", raw).split()).upper()
    return number if PERMIT_NUMBER.fullmatch(number) else None


def _text(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if isinstance(value, str) and value.strip():
        return value
    return None


def _chinese_key(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _english_key(name: str) -> str:
    # "LAU, Chi Ming" (iAM Smart style) and "LAU, CHI MING" (permit) are one name;
    # the comma is the SURNAME separator, not part of the name.
    folded = unicodedata.normalize("NFKC", name).casefold().replace(",", " ")
    return "".join(folded.split())


def _same_name(account: Account, claims: Mapping[str, Any]) -> bool:
    chinese = _text(claims, "name#zh-Hans")
    if chinese is not None:
        return _chinese_key(chinese) == _chinese_key(account.cn)
    english = _text(claims, "name#en")
    if english is None or account.en_name is None:
        return False
    return _english_key(english) == _english_key(account.en_name)


def _has_identity_claims(claims: Mapping[str, Any]) -> bool:
    has_name = _text(claims, "name#zh-Hans") is not None or _text(claims, "name#en") is not None
    return has_name and all(_text(claims, c) is not None for c in ("birthdate", "sex"))


def match_account(
    accounts: AccountDirectory, permit_number: str, claims: Mapping[str, Any]
) -> Account | BindingRefusal:
    """The account the resident may be bound to, or why not.

    `claims` are the bridge's userinfo claims (`name#zh-Hans`, `name#en`, `birthdate`,
    `sex`). The Chinese name is compared when the resident has one; only a resident
    without a Chinese name is matched on the English name.
    """
    number = normalise_permit_number(permit_number)
    if number is None:
        return BindingRefusal(RefusalReason.MALFORMED_PERMIT)
    if not _has_identity_claims(claims):
        return BindingRefusal(RefusalReason.MISSING_CLAIMS)
    account = accounts.by_permit_number(number)
    if account is None:
        return BindingRefusal(RefusalReason.UNKNOWN_PERMIT)
    same = (
        _same_name(account, claims)
        and claims.get("birthdate") == account.birthday
        and claims.get("sex") == account.sex
    )
    return account if same else BindingRefusal(RefusalReason.MISMATCH)


class Bindings:
    """`(bridge sub) → useridcode`, in memory; one iAM Smart identity per account."""

    def __init__(self) -> None:
        self._by_subject: dict[str, str] = {}

    def account_for(self, subject: str) -> str | None:
        return self._by_subject.get(subject)

    def subject_for(self, useridcode: str) -> str | None:
        return next((s for s, a in self._by_subject.items() if a == useridcode), None)

    def bind(
        self,
        accounts: AccountDirectory,
        subject: str,
        permit_number: str,
        claims: Mapping[str, Any],
    ) -> Account | BindingRefusal:
        """Match and, on success, record the binding."""
        result = match_account(accounts, permit_number, claims)
        if isinstance(result, BindingRefusal):
            return result
        holder = self.subject_for(result.useridcode)
        if holder is not None and holder != subject:
            # Only reached after the identity matched, so saying "already bound" tells
            # the account holder nothing they could not know.
            return BindingRefusal(RefusalReason.ALREADY_BOUND)
        self._by_subject[subject] = result.useridcode
        return result

    def unbind(self, subject: str) -> bool:
        return self._by_subject.pop(subject, None) is not None

    def clear(self) -> None:
        self._by_subject.clear()

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._by_subject.items()))

    def __len__(self) -> int:
        return len(self._by_subject)
