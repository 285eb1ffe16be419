"""Strings of the mock's pages per `lang` (docs/protocols.md §1.4: en-US, zh-HK, zh-CN).

A key missing from a locale falls back to en-US, so a translation can be completed one
string at a time.
"""

from __future__ import annotations

from collections.abc import Mapping

from mock_idps.iamsmart.config import DEFAULT_LANG

_EN: dict[str, str] = {
    "title": "iAM Smart (mock) — sign in",
    "heading": "Sign in with iAM Smart",
    "mock_notice": (
        "This is a mock of iAM Smart for development and tests. No real identity is used."
    ),
    "service": "Online service",
    "scopes": "Requested permissions",
    "qr_caption": "QR code (simulated)",
    "instructions": (
        "Instead of scanning the QR code with the iAM Smart app, choose a test resident "
        "and what they do in the app."
    ),
    "user_type_default": "iAM Smart",
    "user_type_sign": "iAM Smart+",
    "approve": "Approve",
    "reject": "Reject",
    "cancel": "Cancel",
    "timeout": "Time out",
    "error_title": "iAM Smart (mock) — request refused",
    "error_heading": "The request cannot be processed",
    "error_code": "Error code",
    "error_parameter": "Parameter",
    "error_hint": "Please return to the online service and try again.",
    "language": "Language",
    "persona_actions": "What {persona} does in the app",
    # iAM Smart's fixed texts on a phone (same-device sign-in with the broker page)
    "broker_heading": "Continue with iAM Smart",
    "broker_intro": "The iAM Smart app on this phone opens to confirm the sign-in, then "
    "brings you back here.",
    "open_app": "Open iAM Smart",
    "more_info": "More info",
    "app_title": "iAM Smart app (simulated)",
    "app_instructions": "This page stands in for the iAM Smart app on this phone. Choose a "
    "test resident and what they do in the app; the app then returns to the browser.",
}

_ZH_HK: dict[str, str] = {
    "title": "「智方便」（模擬）— 登入",
    "heading": "以「智方便」登入",
    "mock_notice": "這是供開發及測試用的「智方便」模擬系統，並不使用真實身份。",
    "service": "網上服務",
    "scopes": "要求的權限",
    "qr_caption": "二維碼（模擬）",
    "instructions": "毋須以「智方便」流動應用程式掃描二維碼，請選擇測試用戶及其在程式內的操作。",
    "user_type_default": "智方便",
    "user_type_sign": "智方便+",
    "approve": "批准",
    "reject": "拒絕",
    "cancel": "取消",
    "timeout": "逾時",
    "error_title": "「智方便」（模擬）— 請求被拒",
    "error_heading": "無法處理此請求",
    "error_code": "錯誤代碼",
    "error_parameter": "參數",
    "error_hint": "請返回網上服務再試。",
    "language": "語言",
    "persona_actions": "{persona}在程式內的操作",
    "broker_heading": "以「智方便」繼續",
    "broker_intro": "此手機上的「智方便」流動應用程式會開啟以確認登入，然後返回此頁。",
    "open_app": "開啟智方便",
    "more_info": "更多資訊",
    "app_title": "「智方便」流動應用程式（模擬）",
    "app_instructions": (
        "此頁代替此手機上的「智方便」流動應用程式。"
        "請選擇測試用戶及其在程式內的操作，程式隨後會返回瀏覽器。"
    ),
}

_ZH_CN: dict[str, str] = {
    "title": "「智方便」（模拟）— 登录",
    "heading": "以「智方便」登录",
    "mock_notice": "这是供开发及测试用的「智方便」模拟系统，并不使用真实身份。",
    "service": "网上服务",
    "scopes": "请求的权限",
    "qr_caption": "二维码（模拟）",
    "instructions": "无须以「智方便」手机应用程序扫描二维码，请选择测试用户及其在程序内的操作。",
    "user_type_default": "智方便",
    "user_type_sign": "智方便+",
    "approve": "批准",
    "reject": "拒绝",
    "cancel": "取消",
    "timeout": "超时",
    "error_title": "「智方便」（模拟）— 请求被拒",
    "error_heading": "无法处理此请求",
    "error_code": "错误代码",
    "error_parameter": "参数",
    "error_hint": "请返回网上服务再试。",
    "language": "语言",
    "persona_actions": "{persona}在程序内的操作",
    "broker_heading": "以「智方便」继续",
    "broker_intro": "此手机上的「智方便」手机应用程序会打开以确认登录，然后返回此页。",
    "open_app": "打开智方便",
    "more_info": "更多信息",
    "app_title": "「智方便」手机应用程序（模拟）",
    "app_instructions": (
        "此页代替此手机上的「智方便」手机应用程序。"
        "请选择测试用户及其在程序内的操作，程序随后会返回浏览器。"
    ),
}

_CATALOG: dict[str, dict[str, str]] = {"en-US": _EN, "zh-HK": _ZH_HK, "zh-CN": _ZH_CN}

LANGUAGE_NAMES = (("en-US", "English"), ("zh-HK", "繁體中文"), ("zh-CN", "简体中文"))
"""The switcher's entries, each language named in itself (getQR `lang`, §1.4)."""


def strings(lang: str | None) -> Mapping[str, str]:
    chosen = _CATALOG.get(lang or DEFAULT_LANG, _CATALOG[DEFAULT_LANG])
    return {**_EN, **chosen}
