"""A Mainland resident signs in through the Guangdong connector: the authorize URL, each
persona's exact attributes, data minimisation, and what never reaches a log line."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import opencc
import pytest
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.errors import UpstreamError
from bridge.model import UpstreamAuthRequest
from bridge.upstream.guangdong import (
    TOKEN_FIELDS,
    USEROBJ_FIELDS,
    GuangdongConfig,
    GuangdongConnector,
)
from bridge.upstream.registry import build_connectors, load_upstreams
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    MAINLAND_USEROBJ,
    UPSTREAM_CALLBACK,
    UPSTREAM_ID,
    UPSTREAM_SECRET,
)
from tests.support.servers import RunningServer
from tests.upstream.guangdong.conftest import MakeConnector, SignIn

REPO = Path(__file__).resolve().parents[3]
EVERYTHING = tuple(sorted(USEROBJ_FIELDS))

# The connector passes `userobj` on as it is, but for `extproperties`: a dict, without
# the unknown (-1) values.
EXTPROPERTIES = {
    "chen-fa-ming": {"origin": "gdbs", "accout_type": "3", "area": "guangzhou", "uversion": "3"},
    "lin-xiao-yan": {"origin": "gdbs", "accout_type": "1", "area": "shenzhen", "uversion": "1"},
    "liang-zhi-wei": {"origin": "gdbs", "accout_type": "2", "area": "foshan", "uversion": "5"},
    "he-jia-yi": {"origin": "gdbs", "accout_type": "1", "area": "dongguan", "uversion": "1"},
}


def test_the_authorization_url_is_the_dialects_exact_shape(server: RunningServer) -> None:
    connector = GuangdongConnector(
        "guangdong",
        GuangdongConfig(
            browser_base_url=server.url + "/",
            api_base_url="http://127.0.0.1:9",
            client_id=UPSTREAM_ID,
            client_secret=SecretStr(UPSTREAM_SECRET),
            redirect_uri=UPSTREAM_CALLBACK,
        ),
    )
    url = connector.authorization_url(UpstreamAuthRequest(state="flow-1_x", ui_locales=("en",)))
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}" == server.url
    assert parts.path == "/tif/sso/connect/page/oauth2/authorize"
    assert parse_qsl(parts.query) == [
        ("service", "initService"),
        ("response_type", "code"),
        ("client_id", UPSTREAM_ID),
        ("scope", "all"),
        ("redirect_uri", UPSTREAM_CALLBACK),
        ("state", "flow-1_x"),
    ]
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcallback%2Fguangdong&" in parts.query
    assert UPSTREAM_SECRET not in url


@pytest.mark.parametrize("state", ["", "a b", "x" * 129, "état"])
def test_a_state_the_bridge_never_makes_is_refused(
    connector: GuangdongConnector, state: str
) -> None:
    with pytest.raises(ValueError, match="state"):
        connector.authorization_url(UpstreamAuthRequest(state=state))


def test_the_connector_names_itself(connector: GuangdongConnector) -> None:
    assert connector.name == "guangdong"
    assert connector.display_name.get("en") == "Guangdong Unified Identity Authentication"
    assert connector.display_name.get("zh-Hant") == "廣東省統一身份認證"
    assert connector.display_name.get("zh-Hans") == "广东省统一身份认证"
    assert connector.callback_state({"state": "s", "code": "c"}) == "s"
    assert connector.callback_state({}) is None


@pytest.mark.parametrize("persona", sorted(MAINLAND_USEROBJ))
async def test_each_mainland_persona_signs_in_with_their_attributes(
    connector: GuangdongConnector, resident: SignIn, persona: str
) -> None:
    identity = await connector.complete(*await resident(connector, persona, fields=EVERYTHING))
    assert identity.idp == "guangdong"
    assert identity.subject == MAINLAND_USEROBJ[persona]["useridcode"]
    expected = {**MAINLAND_USEROBJ[persona], "extproperties": EXTPROPERTIES[persona]}
    assert dict(identity.attributes) == expected


async def test_chen_fa_ming_has_a_name_that_traditional_chinese_writes_differently(
    connector: GuangdongConnector, resident: SignIn
) -> None:
    identity = await connector.complete(*await resident(connector, "chen-fa-ming", fields=("cn",)))
    assert opencc.OpenCC("s2hk").convert(identity.attributes["cn"]) == "陳發明"


async def test_only_the_fields_asked_for_and_the_assurance_fields_are_returned(
    connector: GuangdongConnector, resident: SignIn
) -> None:
    identity = await connector.complete(
        *await resident(connector, "lin-xiao-yan", fields=("cn", "extproperties"))
    )
    assert dict(identity.attributes) == {
        "cn": "林晓燕",
        "extproperties": EXTPROPERTIES["lin-xiao-yan"],
        "usertype": "1",
        "isreal": "true",
        "creditable_level_of_account": "L1",
    }
    assert set(identity.attributes) - {"cn", "extproperties"} == TOKEN_FIELDS


async def test_fields_the_platform_does_not_have_are_ignored_with_a_warning(
    connector: GuangdongConnector, resident: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    params, request = await resident(connector, "he-jia-yi", fields=("chName", "tokenid"))
    identity = await connector.complete(params, request)
    assert set(identity.attributes) == TOKEN_FIELDS
    assert identity.attributes["isreal"] == "false"
    assert any(getattr(r, "fields", None) == ["chName", "tokenid"] for r in caplog.records)


async def test_a_platform_session_signs_the_resident_in_again_at_once(
    connector: GuangdongConnector, platform: GuangdongPlatform, resident: SignIn
) -> None:
    await connector.complete(*await resident(connector, "liang-zhi-wei"))
    assert len(platform.sessions) == 1  # the platform's SSO session, as on the real one


async def test_no_secret_code_token_or_personal_data_reaches_a_log_line(
    make_connector: MakeConnector, resident: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    connector = make_connector()
    bad = make_connector(client_secret=SecretStr("wrong-secret-0123456789"))
    params, request = await resident(connector, "chen-fa-ming", fields=EVERYTHING)
    refused = await resident(bad, "chen-fa-ming")
    caplog.set_level(logging.DEBUG)  # from here on: only what the bridge's side logs
    await connector.complete(params, request)
    with pytest.raises(UpstreamError):
        await bad.complete(*refused)
    text = caplog.text
    # httpx logged each back-channel request, without its query string.
    assert text.count("HTTP Request: GET") == 3 and "tokeninfo?…" in text
    for secret in (UPSTREAM_SECRET, "wrong-secret-0123456789", params["code"], request.state):
        assert secret not in text
    for value in (
        "陈发明",
        "440106199003071231",
        "13800138000",
        "48e6cc80da711af28b1ae849b274ffb8",
    ):
        assert value not in text
    uuid_like = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert not uuid_like.search(text), "a code or token (UUIDs) in the log"


async def test_the_shipped_upstreams_file_configures_the_connector(
    http: httpx.AsyncClient,
) -> None:
    env = {"GUANGDONG_PUBLIC_URL": "https://tyrz.example", "GUANGDONG_API_URL": "http://gd:8002"}
    configs, problems = load_upstreams(
        REPO / "config/upstreams.yaml", env, issuer="https://bridge.example"
    )
    assert problems == []
    config = configs["guangdong"]
    assert isinstance(config, GuangdongConfig)
    assert config.redirect_uri == "https://bridge.example/callback/guangdong"
    assert (config.browser_base_url, config.api_base_url) == (
        "https://tyrz.example",
        "http://gd:8002",
    )
    assert config.client_id == "gba-bridge-dev"
    assert config.client_secret.get_secret_value() == "dev-only-gd-upstream-secret-CHANGE-ME"
    connectors = build_connectors({"guangdong": config}, http=http, clock=ManualClock())
    assert isinstance(connectors["guangdong"], GuangdongConnector)
