"""getKey / revokeKey and AES-GCM content (docs/protocols.md §1.9, §1.10, §4.1)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable

import httpx
from cryptography.hazmat.primitives import serialization

from bridge.clock import ManualClock
from mock_idps.iamsmart import MockIamSmartConfig
from tests.mock_idps.iamsmart.harness import Kek, RunningMock, WireClient, mock_config

GET_KEY = "/api/v1/security/getKey"
REVOKE_KEY = "/api/v1/security/revokeKey"
GET_TOKEN = "/api/v1/auth/getToken"
TOKEN_REQUEST = {"code": "0" * 32, "grantType": "authorization_code"}


async def test_get_key_returns_a_cek_wrapped_for_the_clients_kek_in_clear(
    wire: WireClient, kek: Kek, clock: ManualClock
) -> None:
    answer = await wire.post(GET_KEY, b"", wire.headers(b""))
    content = answer["content"]
    assert answer["code"] == "D00000" and answer["message"] == "SUCCESS"
    assert set(content) == {"secretKey", "pubKey", "issueAt", "expiresIn"}
    spki = kek.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    assert base64.b64decode(content["pubKey"]) == spki
    assert len(base64.b64decode(content["secretKey"])) == 256
    assert content["issueAt"] == int(clock.now() * 1000)
    assert content["expiresIn"] == 6_000_000


async def test_the_same_cek_is_returned_until_it_expires(
    wire: WireClient, clock: ManualClock
) -> None:
    first = await wire.get_key()
    clock.advance(5_999)
    assert await wire.get_key() == first
    clock.advance(2)
    assert await wire.get_key() != first


async def test_revoke_key_makes_the_next_encrypted_call_D30002(wire: WireClient) -> None:
    cek = await wire.get_key()
    revoked = await wire.post(REVOKE_KEY, b"", wire.headers(b""))
    assert revoked["code"] == "D00000" and "content" not in revoked
    assert (await wire.call(GET_TOKEN, TOKEN_REQUEST, cek))["code"] == "D30002"
    assert await wire.get_key() != cek


async def test_encrypted_call_without_any_cek_is_D30002(wire: WireClient) -> None:
    answer = await wire.call(GET_TOKEN, TOKEN_REQUEST, b"\0" * 32)
    assert answer["code"] == "D30002"


async def test_expire_cek_control_makes_the_next_encrypted_call_D30002(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    cek = await wire.get_key()
    control = await http.post(
        mock.url + "/__test__/expire-cek", params={"clientID": wire.client_id}
    )
    assert control.status_code == 200
    assert (await wire.call(GET_TOKEN, TOKEN_REQUEST, cek))["code"] == "D30002"


async def test_wrong_iv_length_is_rejected_with_D30004(wire: WireClient) -> None:
    cek = await wire.get_key()
    body = wire.seal(cek, TOKEN_REQUEST, iv_length=16)
    assert (await wire.post(GET_TOKEN, body, wire.headers(body)))["code"] == "D30004"


async def test_content_sealed_with_another_key_is_rejected_with_D30004(wire: WireClient) -> None:
    await wire.get_key()
    body = wire.seal(b"\1" * 32, TOKEN_REQUEST)
    assert (await wire.post(GET_TOKEN, body, wire.headers(body)))["code"] == "D30004"


async def test_body_without_content_is_D20003(wire: WireClient) -> None:
    await wire.get_key()
    body = b'{"code": "abc"}'
    assert (await wire.post(GET_TOKEN, body, wire.headers(body)))["code"] == "D20003"


async def test_kek_that_cannot_be_read_is_D30001(
    start_mock: Callable[[MockIamSmartConfig], RunningMock],
    kek: Kek,
    http: httpx.AsyncClient,
    clock: ManualClock,
) -> None:
    missing = Kek(kek.private_key, kek.private_file, kek.public_file.with_name("absent.pem"))
    mock = start_mock(mock_config(missing))
    wire = WireClient(http, mock.url, kek, clock)
    assert (await wire.post(GET_KEY, b"", wire.headers(b"")))["code"] == "D30001"


async def test_lenient_mode_accepts_an_hmac_over_the_content_string_only(
    wire: WireClient, mock: RunningMock
) -> None:
    cek = await wire.get_key()
    body = wire.seal(cek, TOKEN_REQUEST)
    content = json.loads(body)["content"].encode()
    strict = await wire.post(GET_TOKEN, body, wire.headers(content))
    mock.state.lenient_content_signature = True
    lenient = await wire.post(GET_TOKEN, body, wire.headers(content))
    assert strict["code"] == "D20006"
    assert lenient["code"] == "D40004", "signature accepted; the made-up code is not"


async def test_counters_report_calls_per_endpoint(
    wire: WireClient, http: httpx.AsyncClient, mock: RunningMock
) -> None:
    await wire.get_key()
    await wire.get_key()
    counters = await http.get(mock.url + "/__test__/counters")
    assert counters.json() == {"getKey": 2}
    assert mock.state.calls["getKey"] == 2
