"""Shared test data for the mock Guangdong platform's tests.

The claims are what the bridge sends for each test persona of docs/personas.md
(userinfo names fixed by the design: `name#zh-Hans`, `name#en`, `sex`, `birthdate`...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from bs4 import BeautifulSoup

from mock_idps.guangdong.config import GuangdongConfig, parse_config

PORTAL_ID = "gd-portal-dev"
PORTAL_SECRET = "test-portal-secret-0123456789abcdef"
SESSION_SECRET = "test-session-secret-0123456789abcdef"
BRIDGE_SECRET = "test-bridge-secret-0123456789abcdef"
UPSTREAM_ID = "gba-bridge-dev"
"""The bridge as a client of the platform's tif dialect (Mainland residents)."""
UPSTREAM_SECRET = "test-bridge-upstream-secret-0123456789"
UPSTREAM_CALLBACK = "http://127.0.0.1:8000/callback/guangdong"

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


MAINLAND_USERIDCODES = {
    "chen-fa-ming": "48e6cc80da711af28b1ae849b274ffb8",
    "lin-xiao-yan": "8ad919e6b3c9838b24627f24e45d89d6",
    "liang-zhi-wei": "16ef305a1e4df9cc83aa2b06c7f045d8",
    "he-jia-yi": "65721e90fab2dbd5a9ce15c79e70ee08",
}

MAINLAND_USEROBJ: dict[str, dict[str, Any]] = {
    "chen-fa-ming": {
        "useridcode": "48e6cc80da711af28b1ae849b274ffb8",
        "uid": "chen-fa-ming",
        "cn": "陈发明",
        "usertype": "1",
        "idcardtype": "10",
        "idcardnumber": "440106199003071231",
        "sex": "1",
        "telephonenumber": "13800138000",
        "mail": "chen-fa-ming@example.cn",
        "isreal": "true",
        "realtype": "PLV",
        "createtime": "20180412093015",
        "creditable_level_of_account": "L2",
        "creditable_level_of_account_way": "L0@IDV@440106199003071231||L2@YSS@2088102143386532",
        "extproperties": [
            "origin=gdbs",
            "accout_type=3",
            "area=guangzhou",
            "uversion=3",
            "legal_code=-1",
        ],
    },
    "lin-xiao-yan": {
        "useridcode": "8ad919e6b3c9838b24627f24e45d89d6",
        "uid": "lin-xiao-yan",
        "cn": "林晓燕",
        "usertype": "1",
        "idcardtype": "10",
        "idcardnumber": "440305198511222040",
        "sex": "2",
        "telephonenumber": "13900139000",
        "mail": "lin-xiao-yan@example.cn",
        "isreal": "true",
        "realtype": "PLV",
        "createtime": "20200108141202",
        "creditable_level_of_account": "L1",
        "creditable_level_of_account_way": "L0@IDV@440305198511222040||L1@ALV@2088201577310044",
        "extproperties": [
            "origin=gdbs",
            "accout_type=1",
            "area=shenzhen",
            "uversion=1",
            "legal_code=-1",
        ],
    },
    "liang-zhi-wei": {
        "useridcode": "16ef305a1e4df9cc83aa2b06c7f045d8",
        "uid": "liang-zhi-wei",
        "cn": "梁志伟",
        "usertype": "1",
        "idcardtype": "10",
        "idcardnumber": "440604197806153316",
        "sex": "1",
        "telephonenumber": "13700137000",
        "mail": "liang-zhi-wei@example.cn",
        "isreal": "true",
        "realtype": "PLV",
        "createtime": "20150618191221",
        "creditable_level_of_account": "L3",
        "creditable_level_of_account_way": "L2@YSS@2088310099271835||L3@GW@440604197806153316",
        "extproperties": [
            "origin=gdbs",
            "accout_type=2",
            "area=foshan",
            "uversion=5",
            "legal_code=-1",
        ],
    },
    "he-jia-yi": {
        "useridcode": "65721e90fab2dbd5a9ce15c79e70ee08",
        "uid": "he-jia-yi",
        "cn": "何嘉怡",
        "usertype": "1",
        "idcardtype": "10",
        "idcardnumber": "441900200109091865",
        "sex": "2",
        "telephonenumber": "13600136000",
        "mail": "he-jia-yi@example.cn",
        "isreal": "false",
        "realtype": "-1",
        "createtime": "20250520170544",
        "creditable_level_of_account": "L0",
        "creditable_level_of_account_way": "L0@IDV@441900200109091865",
        "extproperties": [
            "origin=gdbs",
            "accout_type=1",
            "area=dongguan",
            "uversion=1",
            "legal_code=-1",
        ],
    },
}
"""What `tokeninfo` says about each Mainland persona (docs/personas.md)."""


def upstream_client(redirect_uri: str = UPSTREAM_CALLBACK) -> dict[str, Any]:
    """The bridge's registration as a tif client: the platform's own login only."""
    return {
        "client_id": UPSTREAM_ID,
        "name": "GBA identity bridge",
        "client_secret": UPSTREAM_SECRET,
        "redirect_uris": [redirect_uri],
        "login_methods": ["platform"],
    }


async def platform_sign_in(
    browser: httpx.AsyncClient, authorize_url: str, persona: str, action: str = "sign_in"
) -> httpx.Response:
    """Open a tif authorize URL with no platform session, press `action` (`sign_in` or
    `cancel`) on `persona`'s form of the login page; the platform's answer."""
    page = await browser.get(authorize_url)
    assert page.status_code == 200, page.text[:300]
    form = BeautifulSoup(page.text, "html.parser").find("form", attrs={"data-persona": persona})
    assert form is not None, f"no form for {persona}"
    data = {str(i["name"]): str(i["value"]) for i in form.find_all("input")}
    return await browser.post(
        urljoin(authorize_url, str(form["action"])), data={**data, "action": action}
    )


def query_of(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def make_config(
    public_url: str,
    /,
    *,
    issuer: str = "http://127.0.0.1:9",
    internal_url: str = "",
    portal_redirect_uri: str = "http://127.0.0.1:8003/callback",
    upstream_redirect_uri: str = UPSTREAM_CALLBACK,
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
            },
            upstream_client(upstream_redirect_uri),
        ],
        "test_controls": test_controls,
        "session_secret": SESSION_SECRET,
        **overrides,
    }
    return parse_config(tree)
