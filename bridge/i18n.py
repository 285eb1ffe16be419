"""The resident's language: `ui_locales` first (OIDC Core §3.1.2.1), then
Accept-Language, then Traditional Chinese (most residents signing in are from Hong Kong).

Texts live in `bridge/locales/<locale>.yaml`, one file per language for translators.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path

from bridge.yamlconfig import parse_yaml

SUPPORTED = ("zh-Hant", "zh-Hans", "en")
DEFAULT = "zh-Hant"
_LOCALES_DIR = Path(__file__).parent / "locales"
HTML_LANG = {"zh-Hant": "zh-Hant-HK", "zh-Hans": "zh-Hans-CN", "en": "en"}


def normalize(tag: str) -> str | None:
    tag = tag.strip().lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag.startswith(("zh-hant", "zh-hk", "zh-tw", "zh-mo")):
        return "zh-Hant"
    if tag == "zh" or tag.startswith(("zh-hans", "zh-cn", "zh-sg")):
        return "zh-Hans"
    return None


def _accept_language(header: str) -> list[str]:
    weighted = []
    for position, part in enumerate(header.split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, position, tag))
    return [tag for _, _, tag in sorted(weighted)]


def negotiate(
    ui_locales: Iterable[str] = (), accept_language: str | None = None, default: str = DEFAULT
) -> str:
    for tag in [*ui_locales, *_accept_language(accept_language or "")]:
        locale = normalize(tag)
        if locale:
            return locale
    return default


@cache
def messages(locale: str) -> Mapping[str, str]:
    with (_LOCALES_DIR / f"{locale}.yaml").open(encoding="utf-8") as fh:
        loaded: dict[str, str] = parse_yaml(fh)
    return loaded


def translate(locale: str, key: str) -> str:
    return messages(locale).get(key) or messages("en").get(key) or key
