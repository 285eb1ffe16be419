"""Page language: the catalog (`catalog.yaml`) and picking a locale for a request.

The platform is Guangdong's, so Simplified Chinese is the default; Hong Kong
residents may prefer Traditional Chinese or English. The choice comes from a `lang`
query parameter (remembered in a cookie), then that cookie, then the language the
sign-in was started in, then Accept-Language.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from mock_idps._config import parse_yaml
from mock_idps.guangdong.config import PACKAGE_DIR

LOCALES = ("zh-Hans", "zh-Hant", "en")
DEFAULT_LOCALE = "zh-Hans"
CATALOG_PATH = PACKAGE_DIR / "catalog.yaml"

# Regions that write Traditional Chinese, for tags without a script subtag.
_TRADITIONAL_REGIONS = frozenset({"hk", "mo", "tw"})


class Catalog:
    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        if DEFAULT_LOCALE not in messages:
            raise ValueError(f"catalog lacks the default locale {DEFAULT_LOCALE}")
        self._messages = messages

    def text(self, locale: str, key: str, **values: str) -> str:
        table = self._messages.get(locale, {})
        template = table.get(key) or self._messages[DEFAULT_LOCALE].get(key) or key
        return template.format(**values) if values else template

    def keys(self, locale: str) -> frozenset[str]:
        return frozenset(self._messages.get(locale, {}))


def load_catalog(path: Path = CATALOG_PATH) -> Catalog:
    with path.open(encoding="utf-8") as fh:
        tree = parse_yaml(fh)
    if not isinstance(tree, dict):
        raise ValueError(f"{path}: expected a mapping of locales")
    return Catalog({str(k): {str(m): str(t) for m, t in v.items()} for k, v in tree.items()})


def match_locale(tag: str) -> str | None:
    """The supported locale for a BCP 47 tag (`zh-HK` → `zh-Hant`), if any."""
    parts = tag.strip().lower().replace("_", "-").split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    rest = parts[1:]
    if "hant" in rest or (rest and rest[0] in _TRADITIONAL_REGIONS):
        return "zh-Hant"
    return "zh-Hans"


def _accept_language(header: str) -> str | None:
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header.split(",")[:20]):
        tag, _, params = item.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        ranked.append((-quality, position, tag))
    for negative_quality, _, tag in sorted(ranked):
        locale = match_locale(tag)
        if locale is not None and negative_quality < 0:
            return locale
    return None


def negotiate(
    *,
    query: str | None,
    cookie: str | None,
    flow: str | None = None,
    accept_language: str | None = None,
) -> str:
    for explicit in (query, cookie, flow):
        locale = match_locale(explicit) if explicit else None
        if locale is not None:
            return locale
    if accept_language:
        return _accept_language(accept_language) or DEFAULT_LOCALE
    return DEFAULT_LOCALE
