"""Shared test data for the mock Guangdong platform's tests.

The claims are what the bridge sends for each test persona of docs/personas.md
(userinfo names fixed by the design: `name#zh-Hans`, `name#en`, `sex`, `birthdate`...).
"""

from __future__ import annotations

from typing import Any

from mock_idps.guangdong.config import GuangdongConfig, parse_config

PORTAL_ID = "gd-portal-dev"
PORTAL_SECRET = "test-portal-secret-0123456789abcdef"
SESSION_SECRET = "test-session-secret-0123456789abcdef"
BRIDGE_SECRET = "test-bridge-secret-0123456789abcdef"

CLAIMS: dict[str, dict[str, Any]] = {
    "wong-wing-fung": {
        "sub": "pairwise-wong",
        "name": "黃詠峯",
        "name#zh-Hant": "黃詠峯",
        "name#zh-Hans": "黄咏峰",
        "name#en": "WONG, Wing Fung",
        "sex": "2",
        "birthdate": "1990-01-01",
        "phone_number": "+85291234567",
        "email": "wong-wing-fung@example.hk",
    },
    "lau-chi-ming": {
        "sub": "pairwise-lau",
        "name": "LAU, Chi Ming",
        "name#en": "LAU, Chi Ming",
        "sex": "1",
        "birthdate": "1975-12-31",
        "phone_number": "+85261234567",
        "email": "lau-chi-ming@example.hk",
    },
    "cheung-ka-yan": {
        "sub": "pairwise-cheung",
        "name": "張嘉欣",
        "name#zh-Hant": "張嘉欣",
        "name#zh-Hans": "张嘉欣",
        "name#en": "CHEUNG, Ka Yan",
        "sex": "2",
        "birthdate": "1988-12-12",
    },
    "chan-tai-man": {
        "sub": "pairwise-chan",
        "name": "陳大文",
        "name#zh-Hant": "陳大文",
        "name#zh-Hans": "陈大文",
        "name#en": "CHAN, Tai Man",
        "sex": "1",
        "birthdate": "1970-01-01",
    },
}

PERMITS = {"wong-wing-fung": "H12345678", "lau-chi-ming": "H87654321", "cheung-ka-yan": "H23456789"}
USER_ID_CODES = {
    "wong-wing-fung": "2883ef21d852cd12387f5f3abfee2884",
    "lau-chi-ming": "1dfca4d8ab19fa88fbf77237f4d8fe61",
    "cheung-ka-yan": "5cfa7043789152f2d023d7c7e695d578",
}


def make_config(
    public_url: str,
    /,
    *,
    issuer: str = "http://127.0.0.1:9",
    internal_url: str = "",
    portal_redirect_uri: str = "http://127.0.0.1:8003/callback",
    test_controls: bool = True,
    **overrides: Any,
) -> GuangdongConfig:
    tree: dict[str, Any] = {
        "public_url": public_url,
        "bridge": {
            "issuer": issuer,
            "internal_url": internal_url,
            "client_id": "gd-platform-dev",
            "client_secret": BRIDGE_SECRET,
            "scopes": "openid profile phone email",
        },
        "portal_clients": [
            {
                "client_id": PORTAL_ID,
                "name": "Demo portal",
                "client_secret": PORTAL_SECRET,
                "redirect_uris": [portal_redirect_uri],
            }
        ],
        "test_controls": test_controls,
        "session_secret": SESSION_SECRET,
        **overrides,
    }
    return parse_config(tree)
