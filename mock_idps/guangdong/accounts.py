"""The platform's pre-seeded natural-person accounts and their real-name levels.

Two kinds of account holder (`accounts.yaml`): Hong Kong residents holding a Mainland
Travel Permit (回乡证), who reach their account through iAM Smart and the 回乡证 binding,
and Mainland residents holding a 居民身份证, who sign in with the platform's own login.

The fields that `tokeninfo` sends in `userobj` carry their lower-case wire names as
Python names (`useridcode`, `idcardnumber`, `creditable_level_of_account`...). The rest
(`document`, `en_name`, `birthday`) is the platform's own record: the binding check reads
it, `userobj` never carries it (no birth-date field was ever seen in a `userobj`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mock_idps._config import parse_yaml

Level = Literal["L0", "L1", "L2", "L3"]
LEVELS: tuple[Level, ...] = ("L0", "L1", "L2", "L3")
"""Weakest first: L0..L3 stand for the platform's 二级..五级."""

DocumentKind = Literal["resident_id_card", "passport", "mainland_travel_permit"]

PERMIT_NUMBER = re.compile(r"[HM][0-9]{8}")
"""H (Hong Kong) or M (Macao) and 8 digits; the renewal count is not part of it."""

_ID_CARD_NUMBER = re.compile(r"[0-9]{17}[0-9X]")
_ID_CARD_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_LEVEL_WAY = re.compile(r"(L[0-3])@([A-Za-z0-9-]+)@([^@|]+)")
_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


def weaker_level(a: str, b: str) -> Level:
    """The weaker of two levels; anything unknown counts as the weakest (L0)."""
    return LEVELS[min(_RANK.get(a, 0), _RANK.get(b, 0))]


def id_card_number_valid(number: str) -> bool:
    """GB 11643-1999: 17 digits and an ISO 7064 MOD 11-2 check character."""
    if not _ID_CARD_NUMBER.fullmatch(number):
        return False
    digits = zip(number[:17], _ID_CARD_WEIGHTS, strict=True)
    total = sum(int(digit) * weight for digit, weight in digits)
    return "10X98765432"[total % 11] == number[-1]


class DocumentCodes(BaseModel):
    """`idcardtype` values: the platform's own person codes (10, 20, 40).

    Which code a 回乡证 holder's account carries was never seen; "40" (其他) is an
    assumption, hence configurable.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    resident_id_card: str = "10"
    passport: str = "20"
    mainland_travel_permit: str = "40"

    def code(self, document: DocumentKind) -> str:
        code: str = getattr(self, document)
        return code


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    useridcode: str = Field(pattern=r"^[0-9a-f]{32}$")
    uid: str = Field(pattern=r"^[a-z0-9-]{1,64}$", description="Login name; the persona id.")
    cn: str = Field(description="Name in Simplified Chinese.")
    usertype: Literal["1"] = "1"
    idcardnumber: str
    sex: Literal["0", "1", "2", "9"]
    telephonenumber: str
    mail: str
    realtype: str = Field(description="How the real name was verified, e.g. PLV; -1 unknown.")
    createtime: str = Field(pattern=r"^[0-9]{14}$", description="YYYYMMDDhhmmss")
    creditable_level_of_account: Level
    creditable_level_of_account_way: str = Field(description="level@way@code joined by ||")
    extproperties: Mapping[str, str] = Field(default_factory=dict)

    document: DocumentKind
    en_name: str | None = Field(None, description="English name as on the permit.")
    birthday: str | None = Field(None, pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")

    @field_validator("creditable_level_of_account_way")
    @classmethod
    def _ways_format(cls, value: str) -> str:
        if not all(_LEVEL_WAY.fullmatch(way) for way in value.split("||")):
            raise ValueError("must be level@way@code entries joined by ||")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Account:
        if self.document == "mainland_travel_permit":
            if not PERMIT_NUMBER.fullmatch(self.idcardnumber):
                raise ValueError("a 回乡证 number is H or M followed by 8 digits")
            if self.en_name is None or self.birthday is None:
                raise ValueError("the binding check needs en_name and birthday")
        if self.document == "resident_id_card" and not id_card_number_valid(self.idcardnumber):
            raise ValueError("not a valid 居民身份证 number (GB 11643)")
        highest = max(_RANK[way.split("@", 1)[0]] for way in self.way_entries())
        if highest != _RANK[self.creditable_level_of_account]:
            raise ValueError("the highest level in the ways must be the account's level")
        return self

    def way_entries(self) -> list[str]:
        return self.creditable_level_of_account_way.split("||")

    def userobj(self, *, level: Level, idcardtype: str) -> dict[str, Any]:
        """The `userobj` of `tokeninfo`, at the level of the session that signed in."""
        return {
            "useridcode": self.useridcode,
            "uid": self.uid,
            "cn": self.cn,
            "usertype": self.usertype,
            "idcardtype": idcardtype,
            "idcardnumber": self.idcardnumber,
            "sex": self.sex,
            "telephonenumber": self.telephonenumber,
            "mail": self.mail,
            # A string on the wire; true from L1 (三级, checked against a register) up.
            "isreal": "true" if level != "L0" else "false",
            "realtype": self.realtype,
            "createtime": self.createtime,
            "creditable_level_of_account": level,
            "creditable_level_of_account_way": self.creditable_level_of_account_way,
            "extproperties": [f"{key}={value}" for key, value in self.extproperties.items()],
        }

    def masked_document_number(self) -> str:
        number = self.idcardnumber
        return number[:3] + "*" * (len(number) - 5) + number[-2:]


class AccountDirectory:
    """Read-only lookup by 回乡证 number, by useridcode, and of the Mainland residents."""

    def __init__(self, hong_kong: Iterable[Account], mainland: Iterable[Account] = ()) -> None:
        self._by_permit: dict[str, Account] = {}
        self._by_id: dict[str, Account] = {}
        self._mainland: dict[str, Account] = {}
        for account in hong_kong:
            if account.idcardnumber in self._by_permit:
                raise ValueError("duplicate 回乡证 number in the accounts file")
            self._by_permit[account.idcardnumber] = account
            self._add(account)
        for account in mainland:
            if account.uid in self._mainland:
                raise ValueError("duplicate uid in the accounts file")
            self._mainland[account.uid] = account
            self._add(account)

    def _add(self, account: Account) -> None:
        if account.useridcode in self._by_id:
            raise ValueError("duplicate useridcode in the accounts file")
        self._by_id[account.useridcode] = account

    def by_permit_number(self, number: str) -> Account | None:
        return self._by_permit.get(number)

    def by_useridcode(self, useridcode: str) -> Account | None:
        return self._by_id.get(useridcode)

    def mainland_resident(self, uid: str) -> Account | None:
        """A Mainland resident who signs in with the platform's own login."""
        return self._mainland.get(uid)

    @property
    def mainland_residents(self) -> tuple[Account, ...]:
        return tuple(self._mainland.values())

    def __iter__(self) -> Iterator[Account]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


_SECTIONS: Mapping[str, DocumentKind] = {
    "hong_kong_residents": "mainland_travel_permit",
    "mainland_residents": "resident_id_card",
}


def load_accounts(path: Path) -> AccountDirectory:
    with path.open(encoding="utf-8") as fh:
        tree = parse_yaml(fh)
    if not isinstance(tree, dict) or set(tree) - set(_SECTIONS):
        raise ValueError(f"{path}: expected only the sections {', '.join(_SECTIONS)}")
    sections: dict[str, list[Account]] = {}
    for name, document in _SECTIONS.items():
        items = tree.get(name) or []
        if not isinstance(items, list):
            raise ValueError(f"{path}: {name} must be a list")
        # The section says which document the holders have; an entry cannot say otherwise.
        sections[name] = [Account.model_validate({**i, "document": document}) for i in items]
    return AccountDirectory(sections["hong_kong_residents"], sections["mainland_residents"])
