"""Hong Kong structured address → one display line (docs/protocols.md §1.11, §1.17).

iAM Smart returns `residentialAddress` / `postalAddress` in the Hong Kong government's
structured-address schema: one of `ChiPremisesAddress`, `EngPremisesAddress`,
`FreeFormatAddress` or `PostBoxAddress`. Only part of that schema is public, so this
module reads the common fields and ignores the rest:

- premises (Chinese and English): `Region` (`HK`/`KLN`/`NT` or a name),
  `<Lang>District.Sub-district` or `<Lang>District.DcDistrict`,
  `<Lang>Street.{StreetName, BuildingNoFrom, BuildingNoTo}`,
  `<Lang>Estate.{EstateName, <Lang>Phase.{PhaseName, PhaseNo}}`,
  `<Lang>Block.{BlockDescriptor, BlockNo}`, `BuildingName`,
  floor and unit either under `<Lang>3dAddress` or directly in the premises object:
  `<Lang>Floor.FloorNum`, `<Lang>Unit.{UnitDescriptor, UnitNo}`;
- free format: `AddressLine1`, `AddressLine2`, ... (`LanguageCode` is ignored).

Not supported (the address is then left out): `PostBoxAddress`, villages and lots,
`BlockDescriptorPrecedenceIndicator`. Chinese premises come first because the line is
read in Guangdong; the text is kept in Traditional characters as registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

_CHI_REGIONS = {"HK": "香港", "KLN": "九龍", "NT": "新界"}
_ENG_REGIONS = {"HK": "HONG KONG", "KLN": "KOWLOON", "NT": "NEW TERRITORIES"}
_FREE_LINE = re.compile(r"AddressLine(\d+)")


def format_hk_address(address: Mapping[str, Any]) -> str | None:
    """One line for the first form present (Chinese, English, free format), else None."""
    forms: tuple[tuple[str, Callable[[Mapping[str, Any]], str]], ...] = (
        ("ChiPremisesAddress", _chinese_premises),
        ("EngPremisesAddress", _english_premises),
        ("FreeFormatAddress", _free_format),
    )
    for key, render in forms:
        part = address.get(key)
        if isinstance(part, Mapping):
            line = render(part)
            if line:
                return line
    return None


def _text(obj: Any, *path: str) -> str | None:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    if isinstance(obj, bool):
        return None
    if isinstance(obj, int | str):
        text = str(obj).strip()
        return text or None
    return None


def _one_of(obj: Mapping[str, Any], *paths: tuple[str, ...]) -> str | None:
    for path in paths:
        text = _text(obj, *path)
        if text is not None:
            return text
    return None


def _building_numbers(street: Any) -> str | None:
    first = _text(street, "BuildingNoFrom")
    last = _text(street, "BuildingNoTo")
    if first and last and last != first:
        return f"{first}-{last}"
    return first


def _chinese_premises(p: Mapping[str, Any]) -> str:
    parts: list[str] = []
    region = _text(p, "Region")
    if region:
        parts.append(_CHI_REGIONS.get(region, region))
    district = _one_of(p, ("ChiDistrict", "Sub-district"), ("ChiDistrict", "DcDistrict"))
    if district:
        parts.append(district)
    street = p.get("ChiStreet")
    name, numbers = _text(street, "StreetName"), _building_numbers(street)
    if name:
        parts.append(name)
    if numbers:
        parts.append(f"{numbers}號")
    estate = _text(p, "ChiEstate", "EstateName")
    if estate:
        parts.append(estate)
    phase = _text(p, "ChiEstate", "ChiPhase", "PhaseName")
    phase_no = _text(p, "ChiEstate", "ChiPhase", "PhaseNo")
    if phase:
        parts.append(phase)
    elif phase_no:
        parts.append(f"第{phase_no}期")
    building = _text(p, "BuildingName")
    if building:
        parts.append(building)
    block_no = _text(p, "ChiBlock", "BlockNo")
    if block_no:
        parts.append(block_no + (_text(p, "ChiBlock", "BlockDescriptor") or ""))
    floor = _one_of(p, ("Chi3dAddress", "ChiFloor", "FloorNum"), ("ChiFloor", "FloorNum"))
    if floor:
        parts.append("地下" if floor.upper() == "G" else f"{floor}樓")
    unit = _one_of(p, ("Chi3dAddress", "ChiUnit", "UnitNo"), ("ChiUnit", "UnitNo"))
    if unit:
        descriptor = _one_of(
            p, ("Chi3dAddress", "ChiUnit", "UnitDescriptor"), ("ChiUnit", "UnitDescriptor")
        )
        parts.append(unit + (descriptor or ""))
    # Chinese addresses are written without separators, largest part first: the exact
    # reverse of the English order below.
    return "".join(parts)


def _english_premises(p: Mapping[str, Any]) -> str:
    parts: list[str] = []
    unit = _one_of(p, ("Eng3dAddress", "EngUnit", "UnitNo"), ("EngUnit", "UnitNo"))
    if unit:
        descriptor = _one_of(
            p, ("Eng3dAddress", "EngUnit", "UnitDescriptor"), ("EngUnit", "UnitDescriptor")
        )
        parts.append(f"{descriptor} {unit}" if descriptor else unit)
    floor = _one_of(p, ("Eng3dAddress", "EngFloor", "FloorNum"), ("EngFloor", "FloorNum"))
    if floor:
        parts.append(f"{floor}/F")
    block_no = _text(p, "EngBlock", "BlockNo")
    if block_no:
        descriptor = _text(p, "EngBlock", "BlockDescriptor")
        parts.append(f"{descriptor} {block_no}" if descriptor else block_no)
    building = _text(p, "BuildingName")
    if building:
        parts.append(building)
    estate = _text(p, "EngEstate", "EstateName")
    phase = _text(p, "EngEstate", "EngPhase", "PhaseName")
    phase_no = _text(p, "EngEstate", "EngPhase", "PhaseNo")
    if phase is None and phase_no:
        phase = f"Phase {phase_no}"
    estate_line = " ".join(x for x in (estate, phase) if x)
    if estate_line:
        parts.append(estate_line)
    street = p.get("EngStreet")
    street_line = " ".join(x for x in (_building_numbers(street), _text(street, "StreetName")) if x)
    if street_line:
        parts.append(street_line)
    district = _one_of(p, ("EngDistrict", "Sub-district"), ("EngDistrict", "DcDistrict"))
    if district:
        parts.append(district)
    region = _text(p, "Region")
    if region:
        parts.append(_ENG_REGIONS.get(region, region))
    return ", ".join(parts)


def _free_format(p: Mapping[str, Any]) -> str:
    numbered: list[tuple[int, str]] = []
    for key in p:
        match = _FREE_LINE.fullmatch(key)
        text = _text(p, key) if match else None
        if match and text:
            numbered.append((int(match.group(1)), text))
    return ", ".join(text for _, text in sorted(numbered))
