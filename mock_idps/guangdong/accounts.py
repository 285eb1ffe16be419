"""The platform's pre-seeded natural-person accounts and their real-name levels.

Field names follow the platform's `userobj` (protocols.md §2.3, §7.2); the Python
attributes are snake_case with the wire names as aliases.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

Level = Literal["L0", "L1", "L2", "L3"]
LEVELS: tuple[Level, ...] = ("L0", "L1", "L2", "L3")
"""Weakest first: L0..L3 stand for the platform's 二级..五级 (protocols.md §2.5)."""

PERMIT_DOCUMENT_TYPE = "516"
"""GA/T 517-2004: 港澳居民来往内地通行证 (回乡证)."""

PERMIT_NUMBER = re.compile(r"[HM][0-9]{8}")
"""H (Hong Kong) or M (Macao) and 8 digits; the renewal count is not part of it."""


_RANK: dict[str, int] = {level: rank for rank, level in enumerate(LEVELS)}


def weaker_level(a: str, b: str) -> Level:
    """The weaker of two levels; anything unknown counts as the weakest (L0)."""
    return LEVELS[min(_RANK.get(a, 0), _RANK.get(b, 0))]


class Account(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    user_id_code: str = Field(alias="userIdCode", pattern=r"^[0-9a-f]{32}$")
    uid: str
    cn: str = Field(description="Name in Simplified Chinese.")
    en_name: str = Field(alias="enName", description="English name as on the permit.")
    usertype: Literal["1"] = "1"
    idcardtype: Literal["516"] = "516"
    id_card_number: str = Field(alias="idCardNumber")
    sex: Literal["0", "1", "2", "9"]
    birthday: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
    telephone_number: str = Field(alias="telephoneNumber")
    mail: str
    level: Level
    credence_state: str = Field(default="1", alias="credenceState")
    ext_properties: Mapping[str, str] = Field(default_factory=dict, alias="extProperties")

    @field_validator("id_card_number")
    @classmethod
    def _permit_format(cls, value: str) -> str:
        if not PERMIT_NUMBER.fullmatch(value):
            raise ValueError("must be H or M followed by 8 digits")
        return value

    def userobj(self, *, level: str, origin: str = "iamsmart") -> dict[str, Any]:
        """The `userobj` of `tokeninfo`, at the level of the session that signed in."""
        return {
            "userIdCode": self.user_id_code,
            "uid": self.uid,
            "cn": self.cn,
            "usertype": self.usertype,
            "idcardtype": self.idcardtype,
            "idCardNumber": self.id_card_number,
            "sex": self.sex,
            "birthday": self.birthday,
            "telephoneNumber": self.telephone_number,
            "mail": self.mail,
            "level": level,
            "credenceState": self.credence_state,
            "extProperties": {**self.ext_properties, "origin": origin},
        }

    def masked_permit_number(self) -> str:
        number = self.id_card_number
        return number[:3] + "*" * (len(number) - 5) + number[-2:]


class AccountDirectory:
    """Read-only lookup by 回乡证 number and by userIdCode."""

    def __init__(self, accounts: Iterable[Account]) -> None:
        self._by_permit: dict[str, Account] = {}
        self._by_id: dict[str, Account] = {}
        for account in accounts:
            if account.id_card_number in self._by_permit or account.user_id_code in self._by_id:
                raise ValueError("duplicate 回乡证 number or userIdCode in the accounts file")
            self._by_permit[account.id_card_number] = account
            self._by_id[account.user_id_code] = account

    def by_permit_number(self, number: str) -> Account | None:
        return self._by_permit.get(number)

    def by_user_id_code(self, user_id_code: str) -> Account | None:
        return self._by_id.get(user_id_code)

    def __iter__(self) -> Iterator[Account]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)


def load_accounts(path: Path) -> AccountDirectory:
    with path.open(encoding="utf-8") as fh:
        tree = yaml.safe_load(fh)
    if not isinstance(tree, dict) or not isinstance(tree.get("accounts"), list):
        raise ValueError(f"{path}: expected a top-level 'accounts' list")
    return AccountDirectory(Account.model_validate(item) for item in tree["accounts"])
