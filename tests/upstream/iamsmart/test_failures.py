"""How the iAM Smart connector fails, and recovers from a stale content key
(docs/protocols.md §1.8, §1.9, §1.12, §1.13)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.errors import ConfigError, UpstreamError, UpstreamFailure
from bridge.model import UpstreamAuthRequest
from bridge.upstream.iamsmart import IamSmartConfig, IamSmartConnector
from tests.mock_idps.iamsmart.harness import (
    CLIENT_ID,
    AppSlot,
    Kek,
    RunningMock,
    WireClient,
    make_kek,
)
from tests.support.servers import bind_loopback
from tests.upstream.iamsmart.conftest import MakeConnector, SignIn


async def _fails(
    connector: IamSmartConnector, params: dict[str, str], request: UpstreamAuthRequest
) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await connector.complete(params, request)
    return caught.value


async def test_expired_code_is_code_expired(
    connector: IamSmartConnector, resident: SignIn, clock: ManualClock
) -> None:
    params, request = await resident(connector, "wong-wing-fung")
    clock.advance(61)
    error = await _fails(connector, params, request)
    assert (error.failure, error.upstream_code) == (UpstreamFailure.CODE_EXPIRED, "D40004")


async def test_reused_code_is_code_expired(connector: IamSmartConnector, resident: SignIn) -> None:
    params, request = await resident(connector, "wong-wing-fung")
    await connector.complete(params, request)
    error = await _fails(connector, params, request)
    assert (error.failure, error.upstream_code) == (UpstreamFailure.CODE_EXPIRED, "D40004")


async def test_wrong_client_secret_is_refused(
    make_connector: MakeConnector, resident: SignIn
) -> None:
    connector = make_connector(client_secret=SecretStr("not-the-secret"))
    error = await _fails(connector, *await resident(connector, "wong-wing-fung"))
    assert (error.failure, error.upstream_code) == (UpstreamFailure.REFUSED, "D20006")
    assert "not-the-secret" not in str(error)


async def test_a_cek_expired_early_upstream_is_fetched_again_and_the_call_retried(
    connector: IamSmartConnector, resident: SignIn, mock: RunningMock, http: httpx.AsyncClient
) -> None:
    await connector.complete(*await resident(connector, "wong-wing-fung"))
    await http.post(mock.url + "/__test__/expire-cek", params={"clientID": CLIENT_ID})
    identity = await connector.complete(
        *await resident(connector, "wong-wing-fung", fields=("gender",))
    )
    assert identity.attributes["gender"] == "F"
    assert mock.state.calls["getKey"] == 2
    assert mock.state.calls["getToken"] == 3  # ok, D30002, retried


async def test_a_cek_rotated_by_another_instance_is_recovered_from_d30004(
    connector: IamSmartConnector, resident: SignIn, mock: RunningMock, wire: WireClient
) -> None:
    await connector.complete(*await resident(connector, "lau-chi-ming"))
    await wire.post("/api/v1/security/revokeKey", b"", wire.headers(b""))
    await wire.get_key()
    await connector.complete(*await resident(connector, "lau-chi-ming"))
    assert mock.state.calls["getKey"] == 3


async def test_a_cek_past_issue_at_plus_expires_in_is_replaced_before_use(
    connector: IamSmartConnector, resident: SignIn, mock: RunningMock, clock: ManualClock
) -> None:
    await connector.complete(*await resident(connector, "chan-tai-man"))
    clock.advance(6_000)
    await connector.complete(*await resident(connector, "chan-tai-man"))
    assert mock.state.calls["getKey"] == 2
    assert mock.state.calls["getToken"] == 2  # no D30002 round trip


async def test_the_content_key_is_cached_between_sign_ins(
    connector: IamSmartConnector, resident: SignIn, mock: RunningMock
) -> None:
    for persona in ("wong-wing-fung", "cheung-ka-yan", "lau-chi-ming"):
        await connector.complete(*await resident(connector, persona, fields=("enName",)))
    assert mock.state.calls["getKey"] == 1


async def test_every_request_carries_a_fresh_nonce(
    connector: IamSmartConnector, resident: SignIn, mock: RunningMock
) -> None:
    for _ in range(2):
        await connector.complete(*await resident(connector, "wong-wing-fung", fields=("idNo",)))
    calls = sum(mock.state.calls[name] for name in ("getKey", "getToken", "profiles"))
    assert len(mock.state.nonces[CLIENT_ID]) == calls == 5


async def test_timestamps_never_go_backwards_when_the_clock_does(
    connector: IamSmartConnector, resident: SignIn, clock: ManualClock
) -> None:
    await connector.complete(*await resident(connector, "wong-wing-fung"))
    clock.advance(-5)
    assert (await connector.complete(*await resident(connector, "wong-wing-fung"))).subject


async def test_insufficient_scope_is_refused_without_personal_data_in_the_detail(
    make_connector: MakeConnector, resident: SignIn, mock: RunningMock
) -> None:
    connector = make_connector(scopes=("eidapi_auth",))
    error = await _fails(connector, *await resident(connector, "wong-wing-fung", fields=("idNo",)))
    assert (error.failure, error.upstream_code) == (UpstreamFailure.REFUSED, "D20012")
    open_id = mock.state.open_id(CLIENT_ID, "wong-wing-fung")
    assert open_id not in str(error) and "A123456" not in str(error)


async def test_content_only_signing_is_refused_unless_the_upstream_is_lenient(
    make_connector: MakeConnector, resident: SignIn, mock: RunningMock
) -> None:
    connector = make_connector(signature_body="content_only")
    error = await _fails(connector, *await resident(connector, "wong-wing-fung"))
    assert (error.failure, error.upstream_code) == (UpstreamFailure.REFUSED, "D20006")
    mock.state.lenient_content_signature = True
    assert (await connector.complete(*await resident(connector, "wong-wing-fung"))).subject


async def test_a_kek_other_than_the_one_registered_is_refused(
    make_connector: MakeConnector, tmp_path: Path
) -> None:
    connector = make_connector(kek_private_key_file=make_kek(tmp_path).private_file)
    error = await _fails(connector, {"code": "a" * 32, "state": "s"}, UpstreamAuthRequest("s"))
    assert error.failure == UpstreamFailure.REFUSED
    assert "pubKey is not our KEK" in error.detail


async def test_an_unreachable_upstream_is_unavailable(make_connector: MakeConnector) -> None:
    sock = bind_loopback()
    closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    connector = make_connector(api_base_url=closed)
    error = await _fails(connector, {"code": "a" * 32, "state": "s"}, UpstreamAuthRequest("s"))
    assert error.failure == UpstreamFailure.UNAVAILABLE


def _answering(status: int, body: bytes) -> Callable[..., Any]:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(
    ("status", "body", "failure"),
    [
        (500, b"", UpstreamFailure.UNAVAILABLE),
        (503, b"", UpstreamFailure.UNAVAILABLE),
        (429, b"", UpstreamFailure.UNAVAILABLE),
        (404, b"", UpstreamFailure.REFUSED),
        (200, b"<html>maintenance</html>", UpstreamFailure.PROTOCOL),
        (200, b'{"txID": "t"}', UpstreamFailure.PROTOCOL),
        (200, b'{"code": "D00000", "message": "SUCCESS"}', UpstreamFailure.PROTOCOL),
        (200, b'{"code": "D30001", "message": "KEK missing"}', UpstreamFailure.REFUSED),
    ],
)
async def test_a_broken_upstream_answer_maps_to_a_failure(
    connector: IamSmartConnector,
    mock_slot: tuple[str, AppSlot],
    status: int,
    body: bytes,
    failure: UpstreamFailure,
) -> None:
    mock_slot[1].app = _answering(status, body)
    error = await _fails(connector, {"code": "a" * 32, "state": "s"}, UpstreamAuthRequest("s"))
    assert error.failure == failure


def _upstream_with_valid_key(kek: Kek, token_content: Any) -> Callable[..., Any]:
    """Hands out a well-wrapped CEK, then answers getToken with `token_content`."""
    spki = kek.private_key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    wrapped = kek.private_key.public_key().encrypt(b"k" * 32, padding.PKCS1v15())
    key_answer = {
        "code": "D00000",
        "content": {
            "secretKey": base64.b64encode(wrapped).decode(),
            "pubKey": base64.b64encode(spki).decode(),
            "issueAt": 1,
            "expiresIn": 10**15,
        },
    }

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        answer = key_answer if scope["path"].endswith("getKey") else token_content
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": json.dumps(answer).encode()})

    return app


@pytest.mark.parametrize(
    "token_answer",
    [
        {"code": "D00000", "content": base64.b64encode(b"\0\0\0\x0c" + b"x" * 40).decode()},
        {"code": "D00000", "content": "not base64!"},
        {"code": "D00000", "content": {"accessToken": "in clear"}},
        {
            "code": "D00000",
            "content": json.loads(WireClient.seal(b"k" * 32, {"accessToken": "t"}))["content"],
        },
        {"code": "D00000", "content": json.loads(WireClient.seal(b"k" * 32, {}))["content"]},
    ],
    ids=["bad-tag", "not-base64", "garbage", "no-openID", "empty"],
)
async def test_an_undecryptable_or_incomplete_token_answer_is_a_protocol_failure(
    connector: IamSmartConnector,
    mock_slot: tuple[str, AppSlot],
    kek: Kek,
    token_answer: dict[str, Any],
) -> None:
    mock_slot[1].app = _upstream_with_valid_key(kek, token_answer)
    error = await _fails(connector, {"code": "a" * 32, "state": "s"}, UpstreamAuthRequest("s"))
    assert error.failure == UpstreamFailure.PROTOCOL


def test_a_connector_without_redirect_uri_or_readable_kek_is_a_config_error(
    make_connector: MakeConnector, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError) as caught:
        make_connector(redirect_uri=None, kek_private_key_file=tmp_path / "missing.pem")
    assert len(caught.value.problems) == 2


async def test_a_request_refused_for_its_timestamp_is_resent_with_a_fresh_nonce(
    connector_config: IamSmartConfig,
    clock: ManualClock,
    resident: SignIn,
    wire: WireClient,
) -> None:
    """docs/protocols.md §1.8: iAM Smart refuses a timestamp lower than the client's previous
    one (D20016). With several instances, or concurrent requests, a later-stamped request
    can arrive first; the refused request changed nothing upstream, so the connector
    signs it again (fresh timestamp and nonce) and resends it, a bounded number of times.
    Here another instance's clock runs 2 minutes ahead, so every resend is refused too."""
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        connector = IamSmartConnector("iamsmart", connector_config, http=http, clock=clock)
        params, request = await resident(connector, "wong-wing-fung", fields=("enName",))
        ahead = int(clock.now() * 1000) + 120_000
        answer = await wire.post("/api/v1/security/getKey", b"", wire.headers(b"", timestamp=ahead))
        assert answer["code"] == "D00000"
        with pytest.raises(UpstreamError) as refused:
            await connector.complete(params, request)
        await connector.aclose()
    assert refused.value.upstream_code == "D20016"
    attempts = [r for r in sent if r.url.path == "/api/v1/security/getKey"]
    assert len(attempts) == 8
    assert len({r.headers["nonce"] for r in attempts}) == 8
    stamps = [int(r.headers["timestamp"]) for r in attempts]
    assert stamps == sorted(stamps)
