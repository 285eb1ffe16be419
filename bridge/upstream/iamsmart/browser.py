"""Choosing getQR's `source` and `lang` for a resident's browser (docs/protocols.md §1.2, §1.4).

On a phone, a mobile `source` with `brokerPage=true` lets iAM Smart open its app on the
same device; everywhere else the QR page for another device (`PC_Browser`) is right.
"""

from __future__ import annotations

from collections.abc import Iterable

PC_BROWSER = "PC_Browser"

# Order matters: most Android and iOS browsers also claim "Chrome" or "Safari".
_IOS = (
    ("CriOS/", "iOS_Chrome"),
    ("FxiOS/", "iOS_Firefox"),
    ("EdgiOS/", "iOS_Edge"),
)
_ANDROID = (
    ("EdgA/", "Android_Edge"),
    ("SamsungBrowser/", "Android_Samsung"),
    ("HuaweiBrowser/", "Android_Huawei"),
    ("MiuiBrowser/", "Android_Xiaomi"),
    ("XiaoMi/", "Android_Xiaomi"),
    ("Firefox/", "Android_Firefox"),
)


def source_for(user_agent: str | None) -> str:
    ua = user_agent or ""
    if any(device in ua for device in ("iPhone", "iPad", "iPod")):
        return next((source for marker, source in _IOS if marker in ua), "iOS_Safari")
    if "Android" in ua:
        return next((source for marker, source in _ANDROID if marker in ua), "Android_Chrome")
    return PC_BROWSER


def is_mobile(source: str) -> bool:
    return source.startswith(("iOS_", "Android_"))


_TRADITIONAL = ("zh-hk", "zh-tw", "zh-mo", "zh-hant")
_SIMPLIFIED = ("zh-cn", "zh-sg", "zh-hans", "zh")


def lang_for(ui_locales: Iterable[str]) -> str | None:
    """The first of the resident's BCP 47 preferences iAM Smart can show, or None."""
    for tag in ui_locales:
        lowered = tag.lower()
        if lowered == "en" or lowered.startswith("en-"):
            return "en-US"
        if any(lowered == t or lowered.startswith(t + "-") for t in _TRADITIONAL):
            return "zh-HK"
        if any(lowered == s or lowered.startswith(s + "-") for s in _SIMPLIFIED):
            return "zh-CN"
    return None
