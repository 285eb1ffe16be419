"""Control and invisible formatting characters from an upstream never reach a released
claim: U+202E would show a client a reversed name, CR/LF would split a value into lines."""

from __future__ import annotations

import pytest

from bridge.claims import ClaimMapper
from bridge.claims.text import clean_text
from tests.claims.personas import profile_identity


@pytest.mark.parametrize(
    ("upstream", "released"),
    [
        ("WONG, \u202eWing Fung", "WONG, Wing Fung"),
        ("WONG,\r\nWing Fung", "WONG,  Wing Fung"),
        ("WONG\u0000\u0007\u001b[31m, Wing", "WONG[31m, Wing"),
        ("\u2066WONG\u2069\u200b\ufeff, Wing\u2028Fung", "WONG, Wing Fung"),
        ("WONG, Wing Fung", "WONG, Wing Fung"),
    ],
)
def test_name_en_is_released_without_control_or_bidi_characters(
    mapper: ClaimMapper, upstream: str, released: str
) -> None:
    claims = mapper.map(profile_identity({"enName": {"UnstructuredName": upstream}}), ["name#en"])
    assert claims == {"name#en": released}


def test_a_value_of_only_control_characters_is_left_out(mapper: ClaimMapper) -> None:
    identity = profile_identity({"enName": {"UnstructuredName": "\u202e\r\n"}})
    assert mapper.map(identity, ["name#en"]) == {}


def test_joiners_that_scripts_need_are_kept() -> None:
    assert clean_text("\u0915\u094d\u200d\u0937 \U0001f469\u200d\U0001f4bb") == (
        "\u0915\u094d\u200d\u0937 \U0001f469\u200d\U0001f4bb"
    )
    assert clean_text("\u9673\u5927\u6587") == "\u9673\u5927\u6587"
