"""Flattening of the Hong Kong structured address (docs/protocols.md §1.11, §1.17)."""

from __future__ import annotations

from bridge.claims.address import format_hk_address

CHINESE = {
    "Region": "HK",
    "ChiDistrict": {"DcDistrict": "灣仔區"},
    "ChiStreet": {"StreetName": "軒尼詩道", "BuildingNoFrom": "130", "BuildingNoTo": "136"},
    "ChiEstate": {"EstateName": "修頓花園", "ChiPhase": {"PhaseNo": "2"}},
    "BuildingName": "修頓大廈",
    "ChiBlock": {"BlockDescriptor": "座", "BlockNo": "B"},
    "ChiFloor": {"FloorNum": "G"},
    "ChiUnit": {"UnitNo": "5", "UnitDescriptor": "室"},
}

ENGLISH = {
    "Region": "NT",
    "EngDistrict": {"Sub-district": "SHA TIN"},
    "EngStreet": {"StreetName": "TAI CHUNG KIU ROAD", "BuildingNoFrom": "8"},
    "EngEstate": {"EstateName": "CITY ONE SHATIN", "EngPhase": {"PhaseNo": "4"}},
    "BuildingName": "SITE 5",
    "EngBlock": {"BlockDescriptor": "BLOCK", "BlockNo": "12"},
    "Eng3dAddress": {
        "EngFloor": {"FloorNum": "20"},
        "EngUnit": {"UnitDescriptor": "FLAT", "UnitNo": "H"},
    },
}


def test_chinese_premises_address_reads_largest_part_first_without_separators() -> None:
    line = format_hk_address({"ChiPremisesAddress": CHINESE})
    assert line == "香港灣仔區軒尼詩道130-136號修頓花園第2期修頓大廈B座地下5室"


def test_english_premises_address_reads_smallest_part_first_comma_separated() -> None:
    line = format_hk_address({"EngPremisesAddress": ENGLISH})
    assert line == (
        "FLAT H, 20/F, BLOCK 12, SITE 5, CITY ONE SHATIN Phase 4, "
        "8 TAI CHUNG KIU ROAD, SHA TIN, NEW TERRITORIES"
    )


def test_chinese_premises_address_is_preferred_when_both_languages_are_given() -> None:
    line = format_hk_address({"EngPremisesAddress": ENGLISH, "ChiPremisesAddress": CHINESE})
    assert line is not None and line.startswith("香港")


def test_free_format_address_lines_are_joined_in_line_number_order() -> None:
    address = {
        "FreeFormatAddress": {
            "LanguageCode": "en",
            "AddressLine2": "700 Nathan Road",
            "AddressLine1": "Flat 3, 12/F",
            "AddressLine3": "",
            "AddressLine10": "Kowloon",
        }
    }
    assert format_hk_address(address) == "Flat 3, 12/F, 700 Nathan Road, Kowloon"


def test_region_that_is_not_a_known_code_is_kept_as_written() -> None:
    assert format_hk_address({"ChiPremisesAddress": {"Region": "九龍"}}) == "九龍"
    assert format_hk_address({"EngPremisesAddress": {"Region": "KLN"}}) == "KOWLOON"


def test_premises_address_with_no_readable_part_falls_through_to_the_next_form() -> None:
    address = {
        "ChiPremisesAddress": {"Unrelated": "x"},
        "FreeFormatAddress": {"AddressLine1": "Room 1"},
    }
    assert format_hk_address(address) == "Room 1"


def test_post_box_address_is_not_supported() -> None:
    assert format_hk_address({"PostBoxAddress": {"EngPostBox": {"PoBoxNo": "1"}}}) is None
