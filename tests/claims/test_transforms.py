"""Each registered transform on its own, with the edge cases of docs/protocols.md."""

from __future__ import annotations

from typing import Any

import pytest

from bridge.claims import TRANSFORMS, TransformError
from bridge.claims.transforms import (
    _hk2s,
    code_table,
    e164_phone,
    epoch_ms_to_seconds,
    hk_address_to_oidc,
    hk_to_simplified,
    hkic_check_digit,
    hkic_number,
    mainland_mobile_to_e164,
    release_as_is,
    simplified_to_hk,
    yyyymmdd_to_iso_date,
)


def test_registry_names_every_transform_the_rule_file_may_use() -> None:
    assert set(TRANSFORMS) == {
        "hk_to_simplified",
        "simplified_to_hk",
        "mainland_mobile_to_e164",
        "yyyymmdd_to_iso_date",
        "epoch_ms_to_seconds",
        "e164_phone",
        "hkic_number",
        "hk_address_to_oidc",
    }


# --- Traditional → Simplified (OpenCC hk2s) --------------------------------------------


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("黃詠峯", "黄咏峰"),  # 峯 is the Hong Kong variant of 峰; plain t2s leaves it
        ("張嘉欣", "张嘉欣"),
        ("陳大文", "陈大文"),
        ("申智能", "申智能"),
    ],
)
def test_hk_traditional_name_converts_to_simplified(traditional: str, simplified: str) -> None:
    assert hk_to_simplified(traditional) == simplified


def test_hk_specific_characters_without_simplified_form_are_kept() -> None:
    assert hk_to_simplified("邨啱") == "邨啱"


def test_simplified_conversion_builds_its_opencc_converter_once() -> None:
    assert _hk2s() is _hk2s()


def test_simplified_conversion_refuses_non_text() -> None:
    with pytest.raises(TransformError):
        hk_to_simplified({"ChineseName": "黃詠峯"})


# --- birthDate YYYYMMDD → ISO ------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "iso"),
    [("19900101", "1990-01-01"), ("19751231", "1975-12-31"), ("20000229", "2000-02-29")],
)
def test_yyyymmdd_birth_date_becomes_iso_date(raw: str, iso: str) -> None:
    assert yyyymmdd_to_iso_date(raw) == iso


@pytest.mark.parametrize("impossible", ["19900231", "19001301", "19000229", "00000101", "19900100"])
def test_impossible_calendar_date_is_refused(impossible: str) -> None:
    with pytest.raises(TransformError, match="calendar"):
        yyyymmdd_to_iso_date(impossible)


@pytest.mark.parametrize(
    "malformed", ["1990-01-01", "1990011", "199001011", "１９９００１０１", 19900101]
)
def test_birth_date_not_in_yyyymmdd_form_is_refused(malformed: Any) -> None:
    with pytest.raises(TransformError):
        yyyymmdd_to_iso_date(malformed)


# --- lastModifiedDate ms → s ------------------------------------------------------------


def test_last_modified_milliseconds_become_whole_seconds() -> None:
    assert epoch_ms_to_seconds(1698912000999) == 1698912000
    assert epoch_ms_to_seconds(0) == 0


@pytest.mark.parametrize("bad", [-1, True, "1698912000123", 1.5e12])
def test_last_modified_that_is_not_non_negative_integer_ms_is_refused(bad: Any) -> None:
    with pytest.raises(TransformError):
        epoch_ms_to_seconds(bad)


# --- mobileNumber → E.164 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "e164"),
    [
        ({"CountryCode": "852", "SubscriberNumber": "91234567"}, "+85291234567"),
        ({"CountryCode": "+852", "SubscriberNumber": "9123 4567"}, "+85291234567"),
        (
            {"CountryCode": "86", "NationalDestinationCode": "138", "SubscriberNumber": "00138000"},
            "+8613800138000",
        ),
        (
            {"CountryCode": "86", "NationalDestinationCode": "", "SubscriberNumber": "13800138000"},
            "+8613800138000",
        ),
        ({"CountryCode": "1", "SubscriberNumber": "23456789012345"}, "+123456789012345"),
    ],
)
def test_phone_number_becomes_e164(number: dict[str, str], e164: str) -> None:
    assert e164_phone(number) == e164


def test_phone_without_country_code_is_refused_not_guessed() -> None:
    with pytest.raises(TransformError, match="country code"):
        e164_phone({"SubscriberNumber": "91234567"})


@pytest.mark.parametrize(
    "number",
    [
        {"CountryCode": "852", "SubscriberNumber": "9123456789012"},  # 16 digits
        {"CountryCode": "852", "SubscriberNumber": "123"},  # 6 digits
        {"CountryCode": "0852", "SubscriberNumber": "91234567"},
        {"CountryCode": "852", "SubscriberNumber": "9123-456x"},
        {"CountryCode": "852"},
        {"CountryCode": "852", "NationalDestinationCode": "1a", "SubscriberNumber": "91234567"},
        "+85291234567",
    ],
)
def test_implausible_e164_number_is_refused(number: Any) -> None:
    with pytest.raises(TransformError):
        e164_phone(number)


# --- idNo → HKIC as printed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ident", "check"),
    [
        ("A123456", "3"),  # docs/protocols.md §1.11
        ("AB123456", "9"),  # two-letter prefix: 10*9 + 11*8 + 1*7 + ... = 255 → 9
        ("G100002", "A"),  # remainder 10 is written A
    ],
)
def test_hkic_check_digit_follows_the_weighted_mod_11_rule(ident: str, check: str) -> None:
    assert hkic_check_digit(ident) == check


def test_hkic_is_released_as_printed_on_the_card() -> None:
    assert hkic_number({"Identification": "A123456", "CheckDigit": "3"}) == "A123456(3)"
    assert hkic_number({"Identification": "G100002", "CheckDigit": "A"}) == "G100002(A)"


@pytest.mark.parametrize(
    "id_no",
    [
        {"Identification": "A123456", "CheckDigit": "4"},  # wrong check digit
        {"Identification": "a123456", "CheckDigit": "3"},
        {"Identification": "A12345", "CheckDigit": "3"},
        {"Identification": "ABC123456", "CheckDigit": "3"},
        {"Identification": "A123456", "CheckDigit": "(3)"},
        {"Identification": "A123456"},
        "A123456(3)",
    ],
)
def test_malformed_or_inconsistent_hkic_is_refused(id_no: Any) -> None:
    with pytest.raises(TransformError):
        hkic_number(id_no)


# --- code tables ---------------------------------------------------------------------------


def test_code_table_maps_listed_codes_and_otherwise_the_rest() -> None:
    sex = code_table({"M": "1", "F": "2"}, otherwise="9")
    assert [sex(c) for c in ("M", "F", "U", "m")] == ["1", "2", "9", "9"]


def test_code_table_without_otherwise_refuses_unlisted_code() -> None:
    level = code_table({"default": "L2"}, otherwise=None)
    with pytest.raises(TransformError):
        level("platinum")


def test_code_table_refuses_non_text_code() -> None:
    with pytest.raises(TransformError):
        code_table({"M": "1"}, otherwise="9")(1)


# --- as-is and address ------------------------------------------------------------------


def test_untransformed_claim_refuses_a_structure() -> None:
    assert release_as_is("a@example.hk") == "a@example.hk"
    with pytest.raises(TransformError):
        release_as_is({"UnstructuredName": "WONG, Wing Fung"})


def test_address_becomes_oidc_address_claim_with_formatted_line() -> None:
    address = {
        "FreeFormatAddress": {"AddressLine1": "Flat 3, 12/F", "AddressLine2": "700 Nathan Road"}
    }
    assert hk_address_to_oidc(address) == {"formatted": "Flat 3, 12/F, 700 Nathan Road"}


@pytest.mark.parametrize(
    "address",
    [
        {"PostBoxAddress": {"EngPostBox": {"PostOffice": "GPO", "PoBoxNo": "1"}}},
        {"FreeFormatAddress": {"AddressLine1": " "}},
        {"SomethingElse": {}},
        "700 Nathan Road",
    ],
)
def test_address_without_a_supported_form_is_refused(address: Any) -> None:
    with pytest.raises(TransformError):
        hk_address_to_oidc(address)


def test_transform_errors_never_quote_the_value() -> None:
    secrets = [
        (yyyymmdd_to_iso_date, "19900231"),
        (e164_phone, {"SubscriberNumber": "91234567"}),
        (hkic_number, {"Identification": "A123456", "CheckDigit": "4"}),
        (epoch_ms_to_seconds, -1698912000123),
    ]
    for transform, value in secrets:
        with pytest.raises(TransformError) as caught:
            transform(value)
        for fragment in ("19900231", "91234567", "A123456", "1698912000123"):
            assert fragment not in str(caught.value)


@pytest.mark.parametrize(
    ("simplified", "traditional"),
    [
        ("陈发明", "陳發明"),  # 发 → 發 (to issue), not 髮 (hair)
        ("李后来", "李後來"),  # 后 → 後 in 后来 (later) …
        ("王后", "王后"),  # … but stays 后 where it means a queen
        ("梁志伟", "梁志偉"),
    ],
)
def test_simplified_names_get_their_hong_kong_traditional_form(
    simplified: str, traditional: str
) -> None:
    assert simplified_to_hk(simplified) == traditional


@pytest.mark.parametrize(
    ("stored", "e164"),
    [
        ("13800138000", "+8613800138000"),
        ("+86 138-0013-8000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
    ],
)
def test_a_mainland_mobile_becomes_e164(stored: str, e164: str) -> None:
    assert mainland_mobile_to_e164(stored) == e164


@pytest.mark.parametrize("stored", ["020-12345678", "91234567", "12800138000", "", "1380013800x"])
def test_anything_but_a_mainland_mobile_is_refused_not_guessed(stored: str) -> None:
    with pytest.raises(TransformError):
        mainland_mobile_to_e164(stored)
