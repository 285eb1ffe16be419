"""Signed headers and replay protection of every iAM Smart POST (docs/protocols.md §1.8, §4.1)."""

from __future__ import annotations

import base64
from urllib.parse import quote

import pytest

from bridge.clock import ManualClock
from tests.mock_idps.iamsmart.harness import RunningMock, WireClient

GET_KEY = "/api/v1/security/getKey"


@pytest.mark.parametrize("url_encode", [True, False])
async def test_signature_is_accepted_url_encoded_or_not(wire: WireClient, url_encode: bool) -> None:
    answer = await wire.post(GET_KEY, b"", wire.headers(b"", url_encode=url_encode))
    assert answer["code"] == "D00000"


async def test_tampered_signature_is_rejected_with_D20006(wire: WireClient) -> None:
    headers = wire.headers(b"", url_encode=False)
    raw = bytearray(base64.b64decode(headers["signature"]))
    raw[0] ^= 0x01
    headers["signature"] = quote(base64.b64encode(bytes(raw)).decode(), safe="")
    answer = await wire.post(GET_KEY, b"", headers)
    assert answer["code"] == "D20006"
    assert set(answer) == {"txID", "code", "message"}, "a business error carries no content"


async def test_signature_made_with_another_secret_is_rejected_with_D20006(wire: WireClient) -> None:
    answer = await wire.post(GET_KEY, b"", wire.headers(b"", secret="not-the-secret"))
    assert answer["code"] == "D20006"


async def test_signature_over_another_body_is_rejected_with_D20006(wire: WireClient) -> None:
    cek = await wire.get_key()
    body = wire.seal(cek, {"code": "0" * 32, "grantType": "authorization_code"})
    headers = wire.headers(body + b" ")
    answer = await wire.post("/api/v1/auth/getToken", body, headers)
    assert answer["code"] == "D20006"


async def test_other_signature_method_is_rejected_with_D20005(wire: WireClient) -> None:
    answer = await wire.post(GET_KEY, b"", wire.headers(b"", method="HmacSHA1"))
    assert answer["code"] == "D20005"


@pytest.mark.parametrize(
    "header", ["clientID", "signatureMethod", "timestamp", "nonce", "signature"]
)
async def test_missing_signed_header_is_D20001(wire: WireClient, header: str) -> None:
    headers = wire.headers(b"")
    del headers[header]
    assert (await wire.post(GET_KEY, b"", headers))["code"] == "D20001"


async def test_unknown_client_is_D20018(wire: WireClient) -> None:
    wire.client_id = "no-such-service"
    assert (await wire.post(GET_KEY, b"", wire.headers(b"")))["code"] == "D20018"


async def test_nonce_longer_than_36_characters_is_D20003(wire: WireClient) -> None:
    answer = await wire.post(GET_KEY, b"", wire.headers(b"", nonce="n" * 37))
    assert answer["code"] == "D20003"


async def test_replayed_nonce_is_rejected_with_D20004(wire: WireClient) -> None:
    headers = wire.headers(b"")
    first = await wire.post(GET_KEY, b"", headers)
    replay = await wire.post(GET_KEY, b"", headers)
    assert first["code"] == "D00000"
    assert replay["code"] == "D20004"


@pytest.mark.parametrize("offset_ms", [-300_001, 300_001])
async def test_timestamp_outside_five_minutes_is_rejected_with_D20016(
    wire: WireClient, clock: ManualClock, offset_ms: int
) -> None:
    stamp = int(clock.now() * 1000) + offset_ms
    answer = await wire.post(GET_KEY, b"", wire.headers(b"", timestamp=stamp))
    assert answer["code"] == "D20016"


async def test_timestamp_lower_than_the_previous_one_is_rejected_with_D20016(
    wire: WireClient, clock: ManualClock
) -> None:
    now = int(clock.now() * 1000)
    assert (await wire.post(GET_KEY, b"", wire.headers(b"", timestamp=now)))["code"] == "D00000"
    same = await wire.post(GET_KEY, b"", wire.headers(b"", timestamp=now))
    lower = await wire.post(GET_KEY, b"", wire.headers(b"", timestamp=now - 1))
    assert same["code"] == "D00000"
    assert lower["code"] == "D20016"


async def test_a_forged_request_does_not_move_the_clients_last_timestamp(
    wire: WireClient, clock: ManualClock, mock: RunningMock
) -> None:
    future = int(clock.now() * 1000) + 60_000
    forged = await wire.post(GET_KEY, b"", wire.headers(b"", timestamp=future, secret="forger"))
    honest = await wire.post(GET_KEY, b"", wire.headers(b""))
    assert forged["code"] == "D20006"
    assert honest["code"] == "D00000"
    assert mock.state.last_timestamps[wire.client_id] < future
