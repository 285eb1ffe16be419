"""The iAM Smart connector signing residents in against the mock over real HTTP
(docs/protocols.md §1.2, §1.4–§1.6, §1.11, §1.14)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.errors import UpstreamError, UpstreamFailure
from bridge.model import UpstreamAuthRequest
from bridge.upstream.base import Connector
from bridge.upstream.iamsmart import EME_FIELDS, PROFILE_FIELDS, IamSmartConnector
from tests.mock_idps.iamsmart.harness import (
    CLIENT_ID,
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REDIRECT_URI,
    PERSONAS,
    REDIRECT_URI,
    RunningMock,
)
from tests.upstream.iamsmart.conftest import MakeConnector, SignIn

ALL_FIELDS = tuple(sorted(PROFILE_FIELDS | EME_FIELDS))
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
IPHONE_CHROME = IPHONE_SAFARI.replace("Version/17.4", "CriOS/124.0.6367.88")
ANDROID_CHROME = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
ANDROID_SAMSUNG = ANDROID_CHROME.replace("Chrome/124", "SamsungBrowser/24.0 Chrome/124")
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0"
)


def _query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def test_connector_fulfils_the_connector_protocol(connector: IamSmartConnector) -> None:
    typed: Connector = connector
    assert typed.name == "iamsmart"
    assert typed.callback_state({"state": "abc", "code": "x"}) == "abc"


def test_authorization_url_is_get_qr_with_iam_smart_parameters(
    connector: IamSmartConnector, mock: RunningMock
) -> None:
    url = connector.authorization_url(UpstreamAuthRequest(state="flow-1"))
    assert url.startswith(mock.url + "/api/v1/auth/getQR?")
    assert "scope=eidapi_auth%20eidapi_profiles" in url
    assert _query(url) == {
        "clientID": CLIENT_ID,
        "responseType": "code",
        "source": "PC_Browser",
        "redirectURI": REDIRECT_URI,
        "scope": "eidapi_auth eidapi_profiles",
        "state": "flow-1",
    }


@pytest.mark.parametrize(
    ("user_agent", "source"),
    [
        (None, "PC_Browser"),
        (WINDOWS_EDGE, "PC_Browser"),
        (IPHONE_SAFARI, "iOS_Safari"),
        (IPHONE_CHROME, "iOS_Chrome"),
        (ANDROID_CHROME, "Android_Chrome"),
        (ANDROID_SAMSUNG, "Android_Samsung"),
    ],
)
def test_source_follows_the_residents_browser_with_the_broker_page_on_phones(
    connector: IamSmartConnector, user_agent: str | None, source: str
) -> None:
    query = _query(connector.authorization_url(UpstreamAuthRequest("s", user_agent=user_agent)))
    assert query["source"] == source
    assert query.get("brokerPage") == (None if source == "PC_Browser" else "true")


@pytest.mark.parametrize(
    ("ui_locales", "lang"),
    [
        ((), None),
        (("en",), "en-US"),
        (("en-GB",), "en-US"),
        (("zh-HK",), "zh-HK"),
        (("zh-Hant-TW",), "zh-HK"),
        (("zh-CN",), "zh-CN"),
        (("zh-Hans",), "zh-CN"),
        (("fr", "zh-TW", "en"), "zh-HK"),
        (("fr", "de"), None),
    ],
)
def test_lang_is_the_first_ui_locale_iam_smart_can_show(
    connector: IamSmartConnector, ui_locales: tuple[str, ...], lang: str | None
) -> None:
    url = connector.authorization_url(UpstreamAuthRequest("s", ui_locales=ui_locales))
    assert _query(url).get("lang") == lang


@pytest.mark.parametrize("state", ["", "x" * 37, "a b", "a/b"])
def test_a_state_iam_smart_would_refuse_is_a_programming_error(
    connector: IamSmartConnector, state: str
) -> None:
    with pytest.raises(ValueError, match="state"):
        connector.authorization_url(UpstreamAuthRequest(state))


async def test_the_browser_and_the_back_channel_use_their_own_base_urls(
    make_connector: MakeConnector, mock: RunningMock, resident: SignIn
) -> None:
    browser_url = mock.url.replace("127.0.0.1", "localhost")
    connector = make_connector(browser_base_url=browser_url)
    params, request = await resident(connector, "lau-chi-ming")
    assert connector.authorization_url(request).startswith(browser_url + "/api/v1/auth/getQR?")
    assert (await connector.complete(params, request)).subject


@pytest.mark.parametrize("persona", PERSONAS)
async def test_every_persona_signs_in_with_their_profile(
    connector: IamSmartConnector, mock: RunningMock, resident: SignIn, persona: str
) -> None:
    params, request = await resident(connector, persona, fields=ALL_FIELDS)
    identity = await connector.complete(params, request)
    expected = mock.state.personas[persona]
    assert identity.idp == "iamsmart"
    assert identity.subject == mock.state.open_id(CLIENT_ID, persona)
    assert identity.attributes == {
        **expected.profile,
        "userType": expected.userType,
        "lastModifiedDate": mock.state.last_modified[persona],
    }


async def test_without_requested_fields_profiles_is_not_called(
    connector: IamSmartConnector, mock: RunningMock, resident: SignIn
) -> None:
    params, request = await resident(connector, "lau-chi-ming")
    identity = await connector.complete(params, request)
    assert identity.attributes == {"userType": "sign", "lastModifiedDate": 1672531200000}
    assert mock.state.calls["profiles"] == 0


async def test_only_the_requested_fields_are_returned(
    connector: IamSmartConnector, resident: SignIn
) -> None:
    params, request = await resident(
        connector, "wong-wing-fung", fields=("birthDate", "emailAddress")
    )
    identity = await connector.complete(params, request)
    assert identity.attributes == {
        "birthDate": "19900101",
        "emailAddress": "wong-wing-fung@example.hk",
        "userType": "default",
        "lastModifiedDate": 1698883200000,
    }


async def test_unknown_field_names_are_not_asked_for(
    connector: IamSmartConnector, resident: SignIn
) -> None:
    params, request = await resident(connector, "chan-tai-man", fields=("gender", "hkidCard"))
    identity = await connector.complete(params, request)
    assert set(identity.attributes) == {"gender", "userType", "lastModifiedDate"}


async def test_open_id_differs_between_client_ids_for_the_same_persona(
    make_connector: MakeConnector, resident: SignIn
) -> None:
    ours = make_connector()
    theirs = make_connector(
        client_id=OTHER_CLIENT_ID,
        client_secret=SecretStr(OTHER_CLIENT_SECRET),
        redirect_uri=OTHER_REDIRECT_URI,
    )
    first = await ours.complete(*await resident(ours, "wong-wing-fung"))
    again = await ours.complete(*await resident(ours, "wong-wing-fung"))
    elsewhere = await theirs.complete(*await resident(theirs, "wong-wing-fung"))
    assert first.subject == again.subject
    assert elsewhere.subject != first.subject


async def test_last_modified_date_of_cheung_ka_yan_changes_between_sign_ins(
    connector: IamSmartConnector, resident: SignIn, clock: ManualClock
) -> None:
    first = await connector.complete(*await resident(connector, "cheung-ka-yan"))
    clock.advance(30)
    second = await connector.complete(*await resident(connector, "cheung-ka-yan"))
    assert second.subject == first.subject
    assert second.attributes["lastModifiedDate"] > first.attributes["lastModifiedDate"]


@pytest.mark.parametrize(
    ("action", "failure", "code"),
    [
        ("cancel", UpstreamFailure.CANCELLED, "D40000"),
        ("reject", UpstreamFailure.REJECTED, "D40001"),
        ("timeout", UpstreamFailure.TIMED_OUT, "D40003"),
    ],
)
async def test_a_resident_who_does_not_approve_ends_in_an_upstream_error(
    connector: IamSmartConnector,
    mock: RunningMock,
    resident: SignIn,
    action: str,
    failure: UpstreamFailure,
    code: str,
) -> None:
    params, request = await resident(connector, "wong-wing-fung", action)
    with pytest.raises(UpstreamError) as caught:
        await connector.complete(params, request)
    assert (caught.value.failure, caught.value.upstream_code) == (failure, code)
    assert mock.state.calls["getToken"] == 0


@pytest.mark.parametrize(
    ("error_code", "failure"),
    [
        ("D20001", UpstreamFailure.REJECTED),
        ("D40002", UpstreamFailure.REJECTED),
        ("D20008", UpstreamFailure.REFUSED),
        ("D99999", UpstreamFailure.PROTOCOL),
        ("<script>", UpstreamFailure.PROTOCOL),
    ],
)
async def test_callback_error_codes_map_to_failures(
    connector: IamSmartConnector, error_code: str, failure: UpstreamFailure
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await connector.complete({"error_code": error_code, "state": "s"}, UpstreamAuthRequest("s"))
    assert caught.value.failure == failure
    assert "<script>" not in caught.value.detail


@pytest.mark.parametrize(
    "params",
    [
        {"code": "a" * 32, "state": "other"},
        {"code": "a" * 32},
        {"state": "s"},
        {"code": "", "state": "s"},
    ],
)
async def test_a_callback_without_matching_state_and_code_is_a_protocol_failure(
    connector: IamSmartConnector, mock: RunningMock, params: dict[str, str]
) -> None:
    with pytest.raises(UpstreamError) as caught:
        await connector.complete(params, UpstreamAuthRequest("s"))
    assert caught.value.failure == UpstreamFailure.PROTOCOL
    assert mock.state.calls["getToken"] == 0


async def test_aclose_leaves_a_callers_http_client_open(
    connector: IamSmartConnector, http: httpx.AsyncClient
) -> None:
    await connector.aclose()
    assert not http.is_closed
