"""Page language: the catalog (`catalog.yaml`) and the locale of a request.

A Hong Kong service, so Traditional Chinese is the default; Mainland residents may
prefer Simplified Chinese. The choice comes from the switcher (`?lang=`, remembered in
a cookie), then that cookie, then the language a sign-in was started in, then
Accept-Language.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mock_idps._config import parse_yaml
from mock_idps.hk_eservice.config import PACKAGE_DIR

LOCALES = ("zh-Hant", "zh-Hans", "en")
DEFAULT_LOCALE = "zh-Hant"
CATALOG_PATH = PACKAGE_DIR / "catalog.yaml"
LOCALE_NAMES = {"zh-Hant": "繁體", "zh-Hans": "简体", "en": "English"}
"""The switcher's entries, each language named in itself."""

_HANT_REGIONS = frozenset({"hk", "mo", "tw"})
_MAX_ACCEPT_LANGUAGE_ITEMS = 20


class Catalog:
    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        missing = [locale for locale in LOCALES if locale not in messages]
        if missing:
            raise ValueError(f"catalog lacks locales {missing}")
        self._messages = messages

    def text(self, locale: str, key: str) -> str:
        return self._messages[locale].get(key) or self._messages[DEFAULT_LOCALE].get(key, key)

    def keys(self, locale: str) -> frozenset[str]:
        return frozenset(self._messages[locale])


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    with path.open(encoding="utf-8") as fh:
        tree = parse_yaml(fh)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping of locales")
    return Catalog({str(k): {str(m): str(t) for m, t in v.items()} for k, v in tree.items()})


def supported(tag: str) -> str | None:
    """The locale served for a BCP 47 tag (`zh-HK` → `zh-Hant`, `en-GB` → `en`), if any."""
    language, *rest = tag.strip().lower().replace("_", "-").split("-")
    if language == "en":
        return "en"
    if language != "zh":
        return None
    traditional = "hant" in rest or bool(rest and rest[0] in _HANT_REGIONS)
    return "zh-Hant" if traditional else "zh-Hans"


def from_accept_language(header: str) -> str | None:
    """The best supported language of an Accept-Language header (RFC 9110 §12.5.4)."""
    weighted: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:_MAX_ACCEPT_LANGUAGE_ITEMS]):
        tag, _, parameters = item.partition(";")
        name, _, value = parameters.strip().partition("=")
        try:
            weight = float(value) if name == "q" else 1.0
        except ValueError:
            continue
        if weight > 0:
            weighted.append((-weight, position, tag))
    return next((loc for *_, tag in sorted(weighted) if (loc := supported(tag))), None)


def choose_locale(*explicit: str | None, accept_language: str | None = None) -> str:
    """The first supported explicit choice, else Accept-Language, else the default."""
    for choice in explicit:
        locale = supported(choice) if choice else None
        if locale is not None:
            return locale
    return from_accept_language(accept_language or "") or DEFAULT_LOCALE
