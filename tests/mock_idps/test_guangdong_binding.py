"""Binding rules of the mock Guangdong platform (docs/protocols.md §4.3).

Pure functions over the shipped accounts file: no server, no clock.
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_idps.guangdong.accounts import AccountDirectory, load_accounts, weaker_level
from mock_idps.guangdong.binding import (
    BindingRefusal,
    Bindings,
    RefusalReason,
    match_account,
    normalise_permit_number,
)
from mock_idps.guangdong.config import DEFAULT_ACCOUNTS_PATH
from tests.mock_idps.guangdong_support import CLAIMS, PERMITS, USER_ID_CODES


@pytest.fixture(scope="module")
def accounts() -> AccountDirectory:
    return load_accounts(DEFAULT_ACCOUNTS_PATH)


def refusal(result: object) -> RefusalReason:
    assert isinstance(result, BindingRefusal), f"expected a refusal, got {result!r}"
    return result.reason


@pytest.mark.parametrize("persona", sorted(PERMITS))
def test_each_persona_matches_their_own_account(accounts: AccountDirectory, persona: str) -> None:
    result = match_account(accounts, PERMITS[persona], CLAIMS[persona])
    assert not isinstance(result, BindingRefusal)
    assert result.useridcode == USER_ID_CODES[persona]
    assert result.document == "mainland_travel_permit"


def test_english_name_is_used_when_the_resident_has_no_chinese_name(
    accounts: AccountDirectory,
) -> None:
    claims = CLAIMS["lau-chi-ming"]
    assert "name#zh-Hans" not in claims
    account = match_account(accounts, "H87654321", claims)
    assert not isinstance(account, BindingRefusal)
    assert account.cn == "刘志明"


@pytest.mark.parametrize(
    "english", ["lau, chi ming", "LAU,CHI MING", "  LAU ,  Chi  Ming ", "LAU CHI MING"]
)
def test_english_name_ignores_case_and_spacing(accounts: AccountDirectory, english: str) -> None:
    claims = {**CLAIMS["lau-chi-ming"], "name#en": english}
    assert not isinstance(match_account(accounts, "H87654321", claims), BindingRefusal)


def test_a_different_english_name_is_refused(accounts: AccountDirectory) -> None:
    claims = {**CLAIMS["lau-chi-ming"], "name#en": "LAU, Chi Keung"}
    assert refusal(match_account(accounts, "H87654321", claims)) is RefusalReason.MISMATCH


def test_chinese_name_wins_over_a_matching_english_name(accounts: AccountDirectory) -> None:
    """A resident with a Chinese name is matched on it, not on the English fallback."""
    claims = {**CLAIMS["wong-wing-fung"], "name#zh-Hans": "黄永峰"}
    assert refusal(match_account(accounts, "H12345678", claims)) is RefusalReason.MISMATCH


def test_traditional_chinese_name_does_not_match_the_simplified_account_name(
    accounts: AccountDirectory,
) -> None:
    claims = {**CLAIMS["wong-wing-fung"], "name#zh-Hans": "黃詠峯"}
    assert refusal(match_account(accounts, "H12345678", claims)) is RefusalReason.MISMATCH


@pytest.mark.parametrize(
    ("field", "value"),
    [("birthdate", "1990-01-02"), ("sex", "1"), ("sex", "9"), ("birthdate", "19900101")],
)
def test_wrong_birth_date_or_sex_is_refused(
    accounts: AccountDirectory, field: str, value: str
) -> None:
    claims = {**CLAIMS["wong-wing-fung"], field: value}
    assert refusal(match_account(accounts, "H12345678", claims)) is RefusalReason.MISMATCH


def test_someone_elses_permit_number_is_refused(accounts: AccountDirectory) -> None:
    result = match_account(accounts, PERMITS["cheung-ka-yan"], CLAIMS["wong-wing-fung"])
    assert refusal(result) is RefusalReason.MISMATCH


def test_unknown_permit_is_refused_with_the_same_message_as_a_mismatch(
    accounts: AccountDirectory,
) -> None:
    """Otherwise the form would tell which permit numbers have accounts."""
    unknown = match_account(accounts, "H99999999", CLAIMS["chan-tai-man"])
    mismatch = match_account(accounts, "H12345678", CLAIMS["chan-tai-man"])
    assert refusal(unknown) is RefusalReason.UNKNOWN_PERMIT
    assert refusal(mismatch) is RefusalReason.MISMATCH
    assert isinstance(unknown, BindingRefusal) and isinstance(mismatch, BindingRefusal)
    assert unknown.message_key == mismatch.message_key == "bind.error.no_match"


@pytest.mark.parametrize(
    "number", ["", "H1234567", "H123456789", "X12345678", "12345678H", "H1234567A", "H-12345678"]
)
def test_malformed_permit_number_gets_the_format_message(
    accounts: AccountDirectory, number: str
) -> None:
    result = match_account(accounts, number, CLAIMS["wong-wing-fung"])
    assert refusal(result) is RefusalReason.MALFORMED_PERMIT
    assert isinstance(result, BindingRefusal)
    assert result.message_key == "bind.error.malformed"


@pytest.mark.parametrize("typed", ["h12345678", " H1234 5678 ", "H 12345678", "Ｈ１２３４５６７８"])
def test_permit_number_as_typed_from_the_card_is_accepted(typed: str) -> None:
    assert normalise_permit_number(typed) == "H12345678"


def test_overlong_input_is_malformed_not_processed() -> None:
    assert normalise_permit_number("H" + " " * 100 + "12345678") is None


@pytest.mark.parametrize("missing", ["birthdate", "sex"])
def test_missing_identity_claims_are_refused(accounts: AccountDirectory, missing: str) -> None:
    claims = {k: v for k, v in CLAIMS["wong-wing-fung"].items() if k != missing}
    assert refusal(match_account(accounts, "H12345678", claims)) is RefusalReason.MISSING_CLAIMS


def test_missing_both_names_is_refused(accounts: AccountDirectory) -> None:
    claims: dict[str, Any] = {"sub": "x", "sex": "2", "birthdate": "1990-01-01"}
    assert refusal(match_account(accounts, "H12345678", claims)) is RefusalReason.MISSING_CLAIMS


def test_persona_without_a_guangdong_account_is_never_bound(accounts: AccountDirectory) -> None:
    bindings = Bindings()
    accounts_before = len(accounts)
    for number in ["H99999999", *PERMITS.values()]:
        result = bindings.bind(accounts, "pairwise-chan", number, CLAIMS["chan-tai-man"])
        assert isinstance(result, BindingRefusal)
    assert len(bindings) == 0
    assert len(accounts) == accounts_before  # nothing was created from iAM Smart data


def test_binding_is_stored_by_bridge_subject(accounts: AccountDirectory) -> None:
    bindings = Bindings()
    result = bindings.bind(accounts, "pairwise-wong", "H12345678", CLAIMS["wong-wing-fung"])
    assert not isinstance(result, BindingRefusal)
    assert bindings.account_for("pairwise-wong") == USER_ID_CODES["wong-wing-fung"]
    assert bindings.unbind("pairwise-wong")
    assert bindings.account_for("pairwise-wong") is None
    assert not bindings.unbind("pairwise-wong")


def test_an_account_is_bound_to_one_iamsmart_identity_only(accounts: AccountDirectory) -> None:
    bindings = Bindings()
    claims = CLAIMS["wong-wing-fung"]
    assert not isinstance(bindings.bind(accounts, "first", "H12345678", claims), BindingRefusal)
    second = bindings.bind(accounts, "second", "H12345678", claims)
    assert refusal(second) is RefusalReason.ALREADY_BOUND
    assert bindings.account_for("second") is None
    again = bindings.bind(accounts, "first", "H12345678", claims)
    assert not isinstance(again, BindingRefusal)


@pytest.mark.parametrize(
    ("account", "acr", "expected"),
    [
        ("L2", "L3", "L2"),
        ("L2", "L2", "L2"),
        ("L3", "L2", "L2"),
        ("L2", "", "L0"),
        ("L2", "x", "L0"),
    ],
)
def test_session_level_is_the_weaker_of_account_and_bridge(
    account: str, acr: str, expected: str
) -> None:
    assert weaker_level(account, acr) == expected


def test_masked_permit_number_hides_the_middle(accounts: AccountDirectory) -> None:
    account = accounts.by_permit_number("H12345678")
    assert account is not None
    assert account.masked_document_number() == "H12****78"
