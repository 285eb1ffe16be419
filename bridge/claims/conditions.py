"""Conditions in rule files: when a claim is produced at all (`when:`).

A condition looks only at the upstream profile, by the same dotted paths as `from`::

    when: {present: chNameVerified}                  # the path has a value
    when: {absent: chName.ChineseName}               # it has none
    when: {equals: {userType: sign}}                 # every listed path has this value
    when: {one_of: {mobileNumber.CountryCode: ["852", "853"]}}
    when: {all: [<condition>, ...]}                  # and
    when: {any: [<condition>, ...]}                  # or
    when: {not: <condition>}

Each condition is a mapping with exactly one of those keys, so a misspelt key is an
error at load time rather than a condition that silently never holds. A path is
"present" under the same rule the mapper uses for sources: empty text, an empty
object and null count as absent.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Discriminator, Field, Tag

_PATH = re.compile(r"[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*")
KINDS = ("present", "absent", "equals", "one_of", "all", "any", "not")

Lookup = Callable[[Mapping[str, Any], tuple[str, ...]], Any]
Scalar = str | int | bool


def _path(value: str) -> str:
    if not _PATH.fullmatch(value):
        raise ValueError(f"{value!r} is not a dotted path such as chName.ChineseName")
    return value


Path = Annotated[str, AfterValidator(_path)]


class _Condition(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_by_name=True, validate_by_alias=True
    )


class Present(_Condition):
    present: Path


class Absent(_Condition):
    absent: Path


class Equals(_Condition):
    equals: dict[Path, Scalar] = Field(min_length=1)


class OneOf(_Condition):
    one_of: dict[Path, Annotated[list[Scalar], Field(min_length=1)]] = Field(min_length=1)


class All(_Condition):
    all: list[Condition] = Field(min_length=1)


class Any_(_Condition):
    any: list[Condition] = Field(min_length=1)


class Not(_Condition):
    not_: Condition = Field(alias="not")


def _kind(value: Any) -> str | None:
    if isinstance(value, _Condition):
        return _TAGS[type(value)]
    if isinstance(value, Mapping) and len(value) == 1:
        key = next(iter(value))
        return key if key in KINDS else None
    return None


Condition = Annotated[
    Annotated[Present, Tag("present")]
    | Annotated[Absent, Tag("absent")]
    | Annotated[Equals, Tag("equals")]
    | Annotated[OneOf, Tag("one_of")]
    | Annotated[All, Tag("all")]
    | Annotated[Any_, Tag("any")]
    | Annotated[Not, Tag("not")],
    Discriminator(
        _kind,
        custom_error_type="condition_form",
        custom_error_message="a condition is a mapping with one key: " + ", ".join(KINDS),
    ),
]

_TAGS: dict[type[_Condition], str] = {
    Present: "present",
    Absent: "absent",
    Equals: "equals",
    OneOf: "one_of",
    All: "all",
    Any_: "any",
    Not: "not",
}
All.model_rebuild()
Any_.model_rebuild()
Not.model_rebuild()


def paths(condition: Condition) -> Iterator[str]:
    """Every profile path the condition reads (to check it, and to ask the upstream)."""
    if isinstance(condition, Present):
        yield condition.present
    elif isinstance(condition, Absent):
        yield condition.absent
    elif isinstance(condition, Equals):
        yield from condition.equals
    elif isinstance(condition, OneOf):
        yield from condition.one_of
    elif isinstance(condition, All | Any_):
        for part in condition.all if isinstance(condition, All) else condition.any:
            yield from paths(part)
    else:
        yield from paths(condition.not_)


def _same(found: Any, expected: Scalar) -> bool:
    # YAML reads `852` as a number where the profile holds the text "852"; a rule author
    # means the same code either way. Booleans compare only with booleans.
    if isinstance(found, bool) or isinstance(expected, bool):
        return found is expected
    if isinstance(found, str | int):
        return str(found) == str(expected)
    return False


def holds(condition: Condition, attributes: Mapping[str, Any], lookup: Lookup) -> bool:
    def at(path: str) -> Any:
        return lookup(attributes, tuple(path.split(".")))

    if isinstance(condition, Present):
        return at(condition.present) is not None
    if isinstance(condition, Absent):
        return at(condition.absent) is None
    if isinstance(condition, Equals):
        return all(_same(at(p), v) for p, v in condition.equals.items())
    if isinstance(condition, OneOf):
        return all(any(_same(at(p), v) for v in vs) for p, vs in condition.one_of.items())
    if isinstance(condition, All):
        return all(holds(c, attributes, lookup) for c in condition.all)
    if isinstance(condition, Any_):
        return any(holds(c, attributes, lookup) for c in condition.any)
    return not holds(condition.not_, attributes, lookup)
