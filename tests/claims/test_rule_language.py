"""The rule language beyond `from` and `transform`: conditions (`when`), defaults, and
per-client rules (`clients:`) — what each produces, what the bridge then asks iAM Smart
for, and the clear messages `bridge claims check` gives for mistakes in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bridge.claims import ClaimMapper, parse_rules
from bridge.cli import app
from bridge.errors import ConfigError
from tests.claims.personas import identity, profile_identity

HEAD = """
version: 1
upstream: iamsmart
downstream: guangdong
scopes:
  profile: [name, verified_name, sex]
claims:
  name:
    from: [chName.ChineseName, enName.UnstructuredName]
    labels: {en: Name, zh-Hant: 姓名, zh-Hans: 姓名}
    description: Name.
  sex:
    from: gender
    transform: {code_table: {M: "1", F: "2"}, otherwise: "9"}
    default: "0"
    labels: {en: Sex, zh-Hant: 性別, zh-Hans: 性别}
    description: Sex.
  verified_name:
    from: chNameVerified
    when: {all: [{present: chNameVerified}, {not: {equals: {userType: sign}}}]}
    labels: {en: Verified name, zh-Hant: 核實姓名, zh-Hans: 核实姓名}
    description: Verified name.
"""


def _mapper(extra: str = "") -> ClaimMapper:
    return ClaimMapper(parse_rules(HEAD + extra))


def _problems(extra: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_rules(HEAD + extra)
    return caught.value.problems


def _map(mapper: ClaimMapper, attributes: dict[str, Any], client_id: str | None = None) -> Any:
    return mapper.map(profile_identity(attributes), mapper.claims, client_id=client_id)


def test_a_claim_whose_condition_fails_is_left_out() -> None:
    mapper = _mapper()
    verified = {"chNameVerified": "黃詠峯", "userType": "default"}
    assert _map(mapper, verified)["verified_name"] == "黃詠峯"
    assert "verified_name" not in _map(mapper, {**verified, "userType": "sign"})
    assert "verified_name" not in _map(mapper, {"userType": "default"})


def test_one_of_compares_codes_whether_yaml_read_them_as_text_or_numbers() -> None:
    mapper = _mapper("""
clients:
  hk-only:
    claims:
      name: {when: {one_of: {mobileNumber.CountryCode: [852, "853"]}}}
""")
    hk = {"enName": {"UnstructuredName": "A"}, "mobileNumber": {"CountryCode": "852"}}
    mainland = {**hk, "mobileNumber": {"CountryCode": "86"}}
    assert _map(mapper, hk, "hk-only")["name"] == "A"
    assert "name" not in _map(mapper, mainland, "hk-only")


def test_a_default_stands_in_only_for_an_absent_source() -> None:
    mapper = _mapper()
    assert _map(mapper, {})["sex"] == "0"
    assert _map(mapper, {"gender": "U"})["sex"] == "9", "a present value is never defaulted"


def test_a_client_override_changes_only_the_parts_it_names() -> None:
    mapper = _mapper("""
clients:
  simplified-portal:
    claims:
      name: {transform: hk_to_simplified}
""")
    person = {"chName": {"ChineseName": "黃詠峯"}}
    assert _map(mapper, person)["name"] == "黃詠峯"
    assert _map(mapper, person, "simplified-portal")["name"] == "黄咏峰"
    assert mapper.label("name", "en") == "Name", "labels are the claim's, for every client"
    assert _map(mapper, person, "another-client")["name"] == "黃詠峯"


def test_the_bridge_asks_iamsmart_for_what_a_clients_own_rules_read() -> None:
    mapper = _mapper("""
clients:
  english-only:
    claims:
      name: {from: enName.UnstructuredName}
""")
    assert mapper.source_fields(["name"]) == ("chName", "enName")
    assert mapper.source_fields(["name"], client_id="english-only") == ("enName",)
    # a condition's fields are asked for too, except those that come with the token
    assert mapper.source_fields(["verified_name"]) == ("chNameVerified",)


def test_shipped_yss_rules_release_only_names_checked_against_immigration_records() -> None:
    from bridge.claims import load_rules
    from tests.claims.conftest import RULES_PATH

    mapper = ClaimMapper(load_rules(RULES_PATH))
    unverified = identity("cheung-ka-yan")  # chName only, not verified
    released = mapper.map(unverified, ["name", "name#zh-Hans"], client_id="yss-portal-dev")
    assert released == {"name": "CHEUNG, Ka Yan"}
    assert mapper.source_fields(["name", "name#zh-Hans"], client_id="yss-portal-dev") == (
        "chNameVerified",
        "enName",
    )


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "clients:\n  c1:\n    claims:\n      nmae: {from: enName.UnstructuredName}\n",
            "clients.c1.claims.nmae: no such claim in this file",
        ),
        (
            "clients:\n  c1:\n    claims:\n      name: {from: enName.UnstructuredNam}\n",
            "clients.c1.claims.name.from: 'enName' has no field 'UnstructuredNam'",
        ),
        (
            "clients:\n  c1:\n    claims:\n      name: {when: {presnt: chName}}\n",
            "a condition is a mapping with one key: present, absent, equals",
        ),
        (
            "clients:\n  c1:\n    claims:\n      name: {when: {present: chNam}}\n",
            "clients.c1.claims.name.when: iamsmart has no field 'chNam'",
        ),
        ("clients:\n  c1: {claims: {}}\n", "clients.c1.claims: must have at least 1 item"),
        ("clients:\n  'not a client': {claims: {name: {}}}\n", "not a client id"),
    ],
)
def test_mistakes_in_client_rules_are_reported_with_where_they_are(
    extra: str, expected: str
) -> None:
    problems = _problems(extra)
    assert any(expected in p for p in problems), "\n".join(problems)


def test_a_condition_on_an_unknown_field_is_reported() -> None:
    text = HEAD.replace("{present: chNameVerified}", "{present: chNameVerifed}")
    with pytest.raises(ConfigError) as caught:
        parse_rules(text)
    assert any(
        "claims.verified_name.when: iamsmart has no field 'chNameVerifed'" in p
        for p in caught.value.problems
    ), caught.value.problems


def test_default_and_a_code_tables_missing_cannot_both_be_given() -> None:
    text = HEAD.replace('otherwise: "9"}', 'otherwise: "9", missing: "0"}')
    with pytest.raises(ConfigError) as caught:
        parse_rules(text)
    assert any("either default or the code_table's missing" in p for p in caught.value.problems)


def test_claims_check_command_reports_every_problem_and_exits_2(tmp_path: Path) -> None:
    broken = tmp_path / "rules.yaml"
    broken.write_text(
        HEAD.replace("from: gender", "from: gendre")
        + "clients:\n  c1:\n    claims:\n      nmae: {from: enName.UnstructuredName}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["claims", "check", "--claims-file", str(broken)])
    assert result.exit_code == 2
    assert "claims.sex.from: iamsmart has no field 'gendre'" in result.output
    assert "clients.c1.claims.nmae: no such claim in this file" in result.output


def test_claims_check_command_accepts_the_shipped_rules() -> None:
    result = CliRunner().invoke(app, ["claims", "check"])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output


def test_claims_preview_prints_what_the_client_receives_and_what_is_asked_for() -> None:
    result = CliRunner().invoke(
        app, ["claims", "preview", "--persona", "cheung-ka-yan", "--client", "yss-portal-dev"]
    )
    assert result.exit_code == 0, result.output
    assert "name          CHEUNG, Ka Yan" in result.output
    assert "allowed, but not produced for this persona: name#zh-Hans" in result.output
    assert "asks iAM Smart for: birthDate, chNameVerified, enName, gender, mobileNumber" in (
        result.output
    )


def test_claims_preview_names_the_known_clients_when_given_an_unknown_one() -> None:
    result = CliRunner().invoke(
        app, ["claims", "preview", "--persona", "cheung-ka-yan", "--client", "nobody"]
    )
    assert result.exit_code == 2
    assert "known: gd-platform-dev" in result.output
