"""ClaimMapper with the shipped rule file: fallbacks, omission, minimisation, labels."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from bridge.claims import ClaimMapper, parse_rules
from tests.claims.conftest import RULES_PATH
from tests.claims.personas import PROFILES, profile_identity

PROFILE_SCOPE_CLAIMS = {
    "name",
    "name#zh-Hant",
    "name#zh-Hans",
    "name#en",
    "sex",
    "birthdate",
    "updated_at",
}


def _map(mapper: ClaimMapper, attributes: dict[str, Any], *claims: str) -> dict[str, Any]:
    return mapper.map(profile_identity(attributes), claims or mapper.claims)


def test_rules_define_exactly_the_claims_the_bridge_releases(mapper: ClaimMapper) -> None:
    assert set(mapper.claims) == PROFILE_SCOPE_CLAIMS | {
        "phone_number",
        "email",
        "address",
        "hk_id_number",
        "gd_level",
        "acr",
    }


# --- sex: GB/T 2261.1 ----------------------------------------------------------------------


@pytest.mark.parametrize(("gender", "code"), [("M", "1"), ("F", "2")])
def test_listed_gender_maps_to_its_gb2261_code(mapper: ClaimMapper, gender: str, code: str) -> None:
    assert _map(mapper, {"gender": gender}, "sex") == {"sex": code}


@pytest.mark.parametrize("gender", ["U", "X", "m"])
def test_unlisted_gender_maps_to_gb2261_code_9(mapper: ClaimMapper, gender: str) -> None:
    assert _map(mapper, {"gender": gender}, "sex") == {"sex": "9"}


@pytest.mark.parametrize("profile", [{}, {"gender": None}, {"gender": ""}])
def test_missing_gender_maps_to_gb2261_code_0(mapper: ClaimMapper, profile: dict[str, Any]) -> None:
    assert _map(mapper, profile, "sex") == {"sex": "0"}


# --- names -------------------------------------------------------------------------------


def test_name_prefers_verified_chinese_name(mapper: ClaimMapper) -> None:
    profile = {
        "chNameVerified": "黃詠峯",
        "chName": {"ChineseName": "黄詠峰"},
        "enName": {"UnstructuredName": "WONG, Wing Fung"},
    }
    claims = _map(mapper, profile, "name", "name#zh-Hant", "name#zh-Hans")
    assert claims == {"name": "黃詠峯", "name#zh-Hant": "黃詠峯", "name#zh-Hans": "黄咏峰"}


def test_name_falls_back_to_registered_chinese_name(mapper: ClaimMapper) -> None:
    profile = {
        "chName": {"ChineseName": "張嘉欣"},
        "enName": {"UnstructuredName": "CHEUNG, Ka Yan"},
    }
    assert _map(mapper, profile, "name", "name#zh-Hant") == {
        "name": "張嘉欣",
        "name#zh-Hant": "張嘉欣",
    }


def test_name_falls_back_to_english_name_and_chinese_claims_are_left_out(
    mapper: ClaimMapper,
) -> None:
    profile = {"chName": {"ChineseName": " "}, "enName": {"UnstructuredName": "LAU, Chi Ming"}}
    claims = _map(mapper, profile, "name", "name#zh-Hant", "name#zh-Hans", "name#en")
    assert claims == {"name": "LAU, Chi Ming", "name#en": "LAU, Chi Ming"}


def test_empty_verified_name_counts_as_absent(mapper: ClaimMapper) -> None:
    profile = {"chNameVerified": "", "chName": {"ChineseName": "陳大文"}}
    assert _map(mapper, profile, "name") == {"name": "陳大文"}


def test_hk_variant_characters_reach_the_simplified_name_claim(mapper: ClaimMapper) -> None:
    assert _map(mapper, {"chNameVerified": "黃詠峯"}, "name#zh-Hans") == {"name#zh-Hans": "黄咏峰"}


# --- omission ----------------------------------------------------------------------------


def test_claims_whose_source_is_missing_are_omitted_never_null(mapper: ClaimMapper) -> None:
    claims = _map(mapper, {"enName": {"UnstructuredName": "LAU, Chi Ming"}, "userType": "sign"})
    assert claims == {
        "name": "LAU, Chi Ming",
        "name#en": "LAU, Chi Ming",
        "sex": "0",  # GB/T 2261.1 has a code for "unknown", so sex is never left out
        "gd_level": "L2",
        "acr": "L2",
    }


def test_only_the_claims_asked_for_are_produced(mapper: ClaimMapper) -> None:
    claims = mapper.map(profile_identity(PROFILES["wong-wing-fung"]), {"email", "sex"})
    assert claims == {"sex": "2", "email": "wong-wing-fung@example.hk"}


def test_impossible_birth_date_is_omitted_with_a_warning_without_the_value(
    mapper: ClaimMapper, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bridge.claims"):
        claims = _map(mapper, {"birthDate": "19900231", "gender": "F"}, "birthdate", "sex")
    assert claims == {"sex": "2"}
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "birthdate" in caplog.text
    assert "19900231" not in caplog.text


def test_phone_without_country_code_is_omitted(mapper: ClaimMapper) -> None:
    assert _map(mapper, {"mobileNumber": {"SubscriberNumber": "91234567"}}, "phone_number") == {}


def test_unknown_user_type_gives_no_assurance_level(mapper: ClaimMapper) -> None:
    assert _map(mapper, {"userType": "platinum"}, "acr", "gd_level") == {}


def test_refused_values_never_reach_the_log(
    mapper: ClaimMapper, caplog: pytest.LogCaptureFixture
) -> None:
    profile = {
        "idNo": {"Identification": "A123456", "CheckDigit": "7"},
        "birthDate": "19901301",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "9123456789012345"},
        "enName": {"UnstructuredName": {"nested": "WONG"}},
        "lastModifiedDate": "1698912000123",
        "residentialAddress": {"PostBoxAddress": {"EngPostBox": {"PoBoxNo": "4321"}}},
    }
    with caplog.at_level(logging.DEBUG, logger="bridge.claims"):
        claims = _map(mapper, profile)
    assert claims == {"sex": "0"}
    assert len(caplog.records) == 7  # hkic, birthdate, phone, name, name#en, updated_at, address
    for value in ("A123456", "19901301", "9123456789012345", "WONG", "1698912000123", "4321"):
        assert value not in caplog.text


def test_asking_for_a_claim_without_a_rule_is_an_error(mapper: ClaimMapper) -> None:
    with pytest.raises(KeyError, match="nickname"):
        _map(mapper, {}, "nickname")


# --- scopes and data minimisation --------------------------------------------------------


def test_profile_scope_names_the_profile_claims(mapper: ClaimMapper) -> None:
    assert mapper.claims_for_scopes(["openid", "profile"]) == PROFILE_SCOPE_CLAIMS


@pytest.mark.parametrize(
    ("scope", "claims"),
    [
        ("openid", set()),
        ("phone", {"phone_number"}),
        ("email", {"email"}),
        ("address", {"address"}),
        ("hkic", {"hk_id_number"}),
        ("offline_access", set()),
    ],
)
def test_each_scope_names_only_its_claims(
    mapper: ClaimMapper, scope: str, claims: set[str]
) -> None:
    assert mapper.claims_for_scopes([scope]) == claims


def test_assurance_claims_are_session_claims_named_by_no_scope(mapper: ClaimMapper) -> None:
    assert mapper.session_claims == {"acr", "gd_level"}
    assert not mapper.claims_for_scopes(mapper.scopes) & mapper.session_claims


@pytest.mark.parametrize(
    ("claims", "fields"),
    [
        ({"sex"}, ("gender",)),
        ({"name"}, ("chName", "chNameVerified", "enName")),
        ({"phone_number", "email"}, ("emailAddress", "mobileNumber")),
        ({"hk_id_number"}, ("idNo",)),
        ({"address"}, ("residentialAddress",)),
        (PROFILE_SCOPE_CLAIMS, ("birthDate", "chName", "chNameVerified", "enName", "gender")),
        ({"updated_at", "acr", "gd_level"}, ()),
        (set(), ()),
    ],
)
def test_source_fields_are_only_the_profile_fields_the_claims_need(
    mapper: ClaimMapper, claims: set[str], fields: tuple[str, ...]
) -> None:
    assert mapper.source_fields(claims) == fields


def test_source_fields_never_list_fields_that_come_with_the_token(mapper: ClaimMapper) -> None:
    fields = mapper.source_fields(mapper.claims)
    assert "userType" not in fields and "lastModifiedDate" not in fields
    assert list(fields) == sorted(fields)


# --- consent page presentation ----------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "label"),
    [
        ("en", "Sex"),
        ("en-US", "Sex"),
        ("zh-HK", "性別"),
        ("zh-Hant", "性別"),
        ("zh_TW", "性別"),
        ("zh-CN", "性别"),
        ("zh-Hans-HK", "性别"),
        ("zh", "性别"),
        ("fr", "Sex"),
    ],
)
def test_label_follows_the_locale_with_english_as_fallback(
    mapper: ClaimMapper, locale: str, label: str
) -> None:
    assert mapper.label("sex", locale) == label


def test_every_claim_has_a_label_in_each_consent_page_language(mapper: ClaimMapper) -> None:
    for claim in mapper.claims:
        labels = {mapper.label(claim, locale) for locale in ("en", "zh-Hant", "zh-Hans")}
        assert all(labels), claim


def test_identifiers_and_contact_details_are_sensitive_names_are_not(mapper: ClaimMapper) -> None:
    sensitive = {claim for claim in mapper.claims if mapper.is_sensitive(claim)}
    assert sensitive == {"hk_id_number", "phone_number", "email", "address", "birthdate"}


def test_sign_users_assurance_level_is_configurable() -> None:
    text = RULES_PATH.read_text(encoding="utf-8").replace("sign: L2", "sign: L3")
    mapper = ClaimMapper(parse_rules(text))
    claims = _map(mapper, {"userType": "sign"}, "acr", "gd_level")
    assert claims == {"acr": "L3", "gd_level": "L3"}
