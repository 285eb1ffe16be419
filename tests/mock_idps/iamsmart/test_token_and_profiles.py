"""getToken and profiles (docs/protocols.md §1.6, §1.11, §1.14, §4.1)."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from bridge.clock import ManualClock
from mock_idps._config import load_yaml
from mock_idps.iamsmart.config import DEFAULT_CONFIG_FILE
from tests.mock_idps.iamsmart.harness import (
    OTHER_CLIENT_ID,
    OTHER_CLIENT_SECRET,
    OTHER_REDIRECT_URI,
    RunningMock,
    WireClient,
    get_qr_url,
    sign_in,
)

GET_TOKEN = "/api/v1/auth/getToken"
PROFILES = "/api/v1/profiles"
PERSONA_PROFILES = {
    p["id"]: p["profile"]
    for p in load_yaml(DEFAULT_CONFIG_FILE.parent / "personas.yaml", {})["personas"]
}


async def _code(http: httpx.AsyncClient, mock: RunningMock, persona: str, **qr: str) -> str:
    return (await sign_in(http, get_qr_url(mock.url, **qr), persona))["code"]


async def _token(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, persona: str, **qr: str
) -> tuple[bytes, dict[str, Any]]:
    cek = await wire.get_key()
    code = await _code(http, mock, persona, **qr)
    answer = await wire.call(GET_TOKEN, {"code": code, "grantType": "authorization_code"}, cek)
    assert answer["code"] == "D00000", answer
    return cek, answer["content"]


async def test_get_token_returns_every_documented_field(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    _, token = await _token(wire, http, mock, "lau-chi-ming")
    assert set(token) == {
        "accessToken", "tokenType", "issueAt", "expiresIn", "openID",
        "lastModifiedDate", "userType", "scope",
    }  # fmt: skip
    assert re.fullmatch(r"[0-9a-f]{32}", token["accessToken"])
    assert token["tokenType"] == "Bearer"
    assert token["issueAt"] == int(clock.now() * 1000)
    assert token["expiresIn"] == 14_400_000
    assert token["userType"] == "sign"
    assert token["scope"] == "eidapi_auth eidapi_profiles"
    assert token["lastModifiedDate"] == 1672531200000


async def test_open_id_is_url_encoded_base64_of_32_bytes(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    _, token = await _token(wire, http, mock, "wong-wing-fung")
    assert not set(token["openID"]) & set("+/=")
    assert len(base64.b64decode(unquote(token["openID"]))) == 32


async def test_open_id_is_stable_per_client_and_differs_between_clients(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, kek: object, clock: ManualClock
) -> None:
    _, first = await _token(wire, http, mock, "chan-tai-man")
    _, again = await _token(wire, http, mock, "chan-tai-man")
    other = WireClient(http, mock.url, wire.kek, clock, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)
    _, elsewhere = await _token(
        other, http, mock, "chan-tai-man", clientID=OTHER_CLIENT_ID, redirectURI=OTHER_REDIRECT_URI
    )
    assert first["openID"] == again["openID"]
    assert elsewhere["openID"] != first["openID"]


async def test_reused_code_is_D40004(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    cek = await wire.get_key()
    request = {"code": await _code(http, mock, "wong-wing-fung"), "grantType": "authorization_code"}
    assert (await wire.call(GET_TOKEN, request, cek))["code"] == "D00000"
    assert (await wire.call(GET_TOKEN, request, cek))["code"] == "D40004"


async def test_code_is_valid_for_60_seconds_then_D40004(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    cek = await wire.get_key()
    on_time = await _code(http, mock, "wong-wing-fung")
    late = await _code(http, mock, "wong-wing-fung")
    clock.advance(60)
    answer = await wire.call(GET_TOKEN, {"code": on_time, "grantType": "authorization_code"}, cek)
    assert answer["code"] == "D00000"
    clock.advance(1)
    answer = await wire.call(GET_TOKEN, {"code": late, "grantType": "authorization_code"}, cek)
    assert answer["code"] == "D40004"


async def test_code_is_bound_to_the_client_it_was_issued_to(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    code = await _code(http, mock, "wong-wing-fung")
    other = WireClient(http, mock.url, wire.kek, clock, OTHER_CLIENT_ID, OTHER_CLIENT_SECRET)
    cek = await other.get_key()
    answer = await other.call(GET_TOKEN, {"code": code, "grantType": "authorization_code"}, cek)
    assert answer["code"] == "D40004" and "content" not in answer


@pytest.mark.parametrize(
    ("request_body", "code"),
    [
        ({"grantType": "authorization_code"}, "D20001"),
        ({"code": "", "grantType": "authorization_code"}, "D20002"),
        ({"code": "abc", "grantType": "client_credentials"}, "D20003"),
        ({"code": "abc"}, "D20001"),
    ],
)
async def test_malformed_get_token_is_refused_with_its_d_code(
    wire: WireClient, request_body: dict[str, str], code: str
) -> None:
    cek = await wire.get_key()
    assert (await wire.call(GET_TOKEN, request_body, cek))["code"] == code


async def test_profiles_returns_only_the_requested_fields_in_their_shapes(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    cek, token = await _token(wire, http, mock, "wong-wing-fung")
    request = {
        "accessToken": token["accessToken"],
        "openID": token["openID"],
        "profileFields": ["idNo", "chNameVerified"],
        "eMEFields": ["mobileNumber", "residentialAddress"],
    }
    answer = await wire.call(PROFILES, request, cek)
    assert answer["code"] == "D00000"
    assert answer["content"] == {
        "idNo": {"Identification": "A123456", "CheckDigit": "3"},
        "chNameVerified": "黃詠峯",
        "mobileNumber": {"CountryCode": "852", "SubscriberNumber": "91234567"},
        "residentialAddress": PERSONA_PROFILES["wong-wing-fung"]["residentialAddress"],
    }
    assert "ChiPremisesAddress" in answer["content"]["residentialAddress"]


async def test_profiles_omits_fields_the_resident_does_not_have(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    cek, token = await _token(wire, http, mock, "lau-chi-ming")
    request = {
        "accessToken": token["accessToken"],
        "openID": token["openID"],
        "profileFields": ["enName", "chName", "chNameVerified"],
        "eMEFields": [],
    }
    answer = await wire.call(PROFILES, request, cek)
    assert answer["content"] == {"enName": {"UnstructuredName": "LAU, Chi Ming"}}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"accessToken": "f" * 32}, "D20009"),
        ({"openID": "someone-else"}, "D20010"),
        ({"profileFields": ["mobileNumber"]}, "D20003"),
        ({"eMEFields": ["idNo"]}, "D20003"),
        ({"profileFields": ["hkid"]}, "D20003"),
        ({"profileFields": [], "eMEFields": []}, "D20002"),
    ],
)
async def test_invalid_profiles_request_is_refused_with_its_d_code(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, change: dict[str, Any], code: str
) -> None:
    cek, token = await _token(wire, http, mock, "cheung-ka-yan")
    request = {
        "accessToken": token["accessToken"],
        "openID": token["openID"],
        "profileFields": ["enName"],
        "eMEFields": [],
    } | change
    answer = await wire.call(PROFILES, request, cek)
    assert answer["code"] == code and "content" not in answer


async def test_expired_access_token_is_D20009(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock, clock: ManualClock
) -> None:
    cek, token = await _token(wire, http, mock, "cheung-ka-yan")
    clock.advance(14_400)
    cek = await wire.get_key()
    request = {
        "accessToken": token["accessToken"],
        "openID": token["openID"],
        "profileFields": ["enName"],
    }
    assert (await wire.call(PROFILES, request, cek))["code"] == "D20009"


async def test_profiles_without_the_eidapi_profiles_scope_is_D20012(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    cek, token = await _token(wire, http, mock, "chan-tai-man", scope="eidapi_auth")
    request = {
        "accessToken": token["accessToken"],
        "openID": token["openID"],
        "profileFields": ["enName"],
    }
    assert (await wire.call(PROFILES, request, cek))["code"] == "D20012"
