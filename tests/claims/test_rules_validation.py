"""Rule-file validation: the shipped file is valid; a broken one reports every problem."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bridge.claims import MappingRules, load_rules, parse_rules
from bridge.errors import ConfigError
from tests.claims.conftest import RULES_PATH

VALID_CLAIM = """
    labels: {en: X, zh-Hant: X, zh-Hans: X}
    description: x"""


def _problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_rules(text)
    return caught.value.problems


def _assert_reported(problems: list[str], *expected: str) -> None:
    for fragment in expected:
        assert any(fragment in p for p in problems), f"{fragment!r} not in:\n" + "\n".join(problems)


def test_shipped_rule_file_is_valid(rules: MappingRules) -> None:
    assert rules.upstream == "iamsmart"
    assert rules.session_claims == ("acr", "gd_level")


def test_gd_level_and_acr_share_one_assurance_table(rules: MappingRules) -> None:
    assert rules.claims["gd_level"].transform == rules.claims["acr"].transform


def test_broken_rule_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        """\
version: 2
upstream: iamsmart
downstream: guangdong
colour: blue
claims:
  name:
    from: [chName.ChinesName, enName]
    labels: {en: Name, zh-Hant: 姓名}
    description: The name.
  sex:
    from: gender
    transform: {code_table: {M: 1}, otherwize: "9"}
    labels: {en: Sex, zh-Hant: 性別, zh-Hans: 性别}
    description: Sex.
  phone_number:
    from: emailAddress
    transform: e164_phone"""
        + VALID_CLAIM
        + """
  email:
    from: emailAddress..x
    transform: shout"""
        + VALID_CLAIM
        + """
  email:
    from: emailAddress"""
        + VALID_CLAIM
        + """
  Nick Name:
    from: gender"""
        + VALID_CLAIM
        + """
scopes:
  profile: [name, sex, sex, nickname]
  email: [email, phone_number, Nick Name]
  bad scope: []
session_claims: [acr]
""",
        encoding="utf-8",
    )

    with pytest.raises(ConfigError) as caught:
        load_rules(broken)

    assert caught.value.source == str(broken)
    problems = caught.value.problems
    _assert_reported(
        problems,
        "line 25: key 'email' repeats the one on line 20",  # duplicate claim
        "colour: unknown key",
        "version: must be 1",
        "claims.name.labels.zh-Hans: required",
        "claims.name.from: 'chName' has no field 'ChinesName'",  # bad source path
        "claims.name.from: 'enName' has shape object",
        "claims.sex.transform.code_table.M: Input should be a valid string",
        "claims.sex.transform.otherwize: unknown key",
        "claims.phone_number.from: 'emailAddress' has shape text but transform e164_phone",
        "claims.Nick Name: not a claim name",
        "scopes.profile: names claim 'sex' 2 times",
        "scopes.profile: names unknown claim 'nickname'",  # scope naming an unknown claim
        "scopes.bad scope: not a scope token",
        "session_claims: names unknown claim 'acr'",
    )
    assert len(problems) == 14
    assert f"{broken}: 14 problem(s)" in str(caught.value)


def test_a_broken_claim_rule_still_has_its_sources_checked() -> None:
    problems = _problems(
        """
version: 1
upstream: iamsmart
downstream: guangdong
claims:
  name:
    from: chName.ChinesName
    transform: shout
scopes: {profile: [name]}
"""
    )
    _assert_reported(
        problems,
        "claims.name.transform: unknown transform 'shout'",
        "claims.name.labels: required",
        "claims.name.description: required",
    )


def test_unknown_transform_is_reported_with_the_known_names() -> None:
    problems = _problems(
        f"""
version: 1
upstream: iamsmart
downstream: guangdong
claims:
  birthdate:
    from: birthDate
    transform: iso8601{VALID_CLAIM}
scopes: {{profile: [birthdate]}}
"""
    )
    assert problems == [
        "claims.birthdate.transform: unknown transform 'iso8601' (known: e164_phone, "
        "epoch_ms_to_seconds, hk_address_to_oidc, hk_to_simplified, hkic_number, "
        "mainland_mobile_to_e164, simplified_to_hk, yyyymmdd_to_iso_date, or a code_table)"
    ]


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ("nickName", "iamsmart has no field 'nickName'"),
        ("gender.code", "'gender' is a single value and has no field 'code'"),
        ("mobileNumber.Extension", "'mobileNumber' has no field 'Extension'"),
        ("chName..ChineseName", "is not a dotted path"),
        ("[chNameVerified, chNameVerified]", "'chNameVerified' is listed 2 times"),
        ("[]", "from: must have at least 1 item(s)"),
    ],
)
def test_bad_source_path_is_reported(source: str, problem: str) -> None:
    problems = _problems(
        f"""
version: 1
upstream: iamsmart
downstream: guangdong
claims:
  name:
    from: {source}{VALID_CLAIM}
scopes: {{profile: [name]}}
"""
    )
    _assert_reported(problems, problem)


def test_paths_inside_the_partly_public_address_schema_are_accepted() -> None:
    rules = parse_rules(
        f"""
version: 1
upstream: iamsmart
downstream: guangdong
claims:
  locality:
    from: residentialAddress.EngPremisesAddress.EngDistrict.Sub-district{VALID_CLAIM}
scopes: {{address: [locality]}}
"""
    )
    assert rules.claims["locality"].sources == (
        "residentialAddress.EngPremisesAddress.EngDistrict.Sub-district",
    )


def test_claim_no_scope_or_session_list_names_is_reported_as_never_released() -> None:
    problems = _problems(
        f"""
version: 1
upstream: iamsmart
downstream: guangdong
claims:
  email:
    from: emailAddress{VALID_CLAIM}
scopes: {{openid: []}}
"""
    )
    assert problems == [
        "claims.email: named by no scope and not a session claim, so it would never be released"
    ]


def test_unknown_upstream_and_missing_sections_are_reported() -> None:
    problems = _problems("version: 1\nupstream: guangdong-tif\n")
    _assert_reported(
        problems,
        "downstream: required",
        "claims: required",
        "scopes: required",
        "upstream: unknown upstream 'guangdong-tif' (known: guangdong, iamsmart)",
    )


def test_yaml_syntax_error_is_a_config_error() -> None:
    problems = _problems("claims: [unclosed\n")
    assert len(problems) == 1 and problems[0].startswith("not valid YAML")


def test_rule_file_that_is_not_a_mapping_is_a_config_error() -> None:
    assert _problems("- just\n- a list\n") == [
        "the file must be a mapping of version, upstream, downstream, claims, scopes"
    ]


def test_missing_rule_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the rule file"):
        load_rules(tmp_path / "absent.yaml")


def test_yaml_anchor_reuse_is_not_mistaken_for_a_duplicate_key() -> None:
    text = RULES_PATH.read_text(encoding="utf-8")
    assert "*assurance_levels" in text
    parse_rules(text)


def test_rules_built_in_code_are_held_to_the_same_cross_checks(rules: MappingRules) -> None:
    data = rules.model_dump(by_alias=True)
    data["scopes"]["profile"] = (*data["scopes"]["profile"], "nickname")
    with pytest.raises(ValidationError, match="names unknown claim 'nickname'"):
        MappingRules.model_validate(data)


def test_validated_rules_round_trip_through_their_own_schema(rules: MappingRules) -> None:
    assert MappingRules.model_validate(rules.model_dump(by_alias=True)) == rules
