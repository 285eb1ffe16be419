"""How the Guangdong connector fails: refusals of the mock platform, a resident who
cancels, a forged callback, and — on a fake back channel — a platform that is down,
slow, says too much, or answers what the mock never does. Each failure is an
`UpstreamError` whose `failure` picks what the resident and the client are told."""

from __future__ import annotations

import gzip
import time
from typing import Any

import pytest
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.errors import UpstreamError, UpstreamFailure
from bridge.model import UpstreamAuthRequest
from bridge.upstream.guangdong import GuangdongConnector
from tests.mock_idps.guangdong_support import UPSTREAM_SECRET
from tests.support.servers import bind_loopback
from tests.upstream.guangdong.conftest import MakeConnector, SignIn
from tests.upstream.guangdong.fakes import TOKEN_OK, USEROBJ_OK, Answer, FakePlatform, as_json

CODE = "7d3c1b2a-0f9e-4d8c-b7a6-5e4d3c2b1a09"


async def _fails(
    connector: GuangdongConnector, params: dict[str, str], request: UpstreamAuthRequest
) -> UpstreamError:
    with pytest.raises(UpstreamError) as caught:
        await connector.complete(params, request)
    return caught.value


def _callback(**params: str) -> tuple[dict[str, str], UpstreamAuthRequest]:
    return {"state": "s-1", **params}, UpstreamAuthRequest(state="s-1")


# --- refusals of the mock platform -----------------------------------------------------


async def test_wrong_client_secret_is_refused(
    make_connector: MakeConnector, resident: SignIn
) -> None:
    connector = make_connector(client_secret=SecretStr("not-the-secret"))
    error = await _fails(connector, *await resident(connector, "chen-fa-ming"))
    assert (error.failure, error.upstream_code) == (UpstreamFailure.REFUSED, "invalid_client/40002")
    assert "not-the-secret" not in str(error) and UPSTREAM_SECRET not in str(error)


async def test_a_redirect_uri_other_than_the_registered_one_is_refused(
    connector: GuangdongConnector, make_connector: MakeConnector, resident: SignIn
) -> None:
    params, request = await resident(connector, "chen-fa-ming")
    other = make_connector(redirect_uri="http://127.0.0.1:8000/callback/other")
    error = await _fails(other, params, request)
    assert (error.failure, error.upstream_code) == (UpstreamFailure.REFUSED, "invalid_grant/40006")


async def test_a_reused_code_is_code_expired(
    connector: GuangdongConnector, resident: SignIn
) -> None:
    params, request = await resident(connector, "chen-fa-ming")
    await connector.complete(params, request)
    error = await _fails(connector, params, request)
    assert (error.failure, error.upstream_code) == (
        UpstreamFailure.CODE_EXPIRED,
        "invalid_grant/40003",
    )


async def test_an_expired_code_is_code_expired(
    connector: GuangdongConnector, resident: SignIn, clock: ManualClock
) -> None:
    params, request = await resident(connector, "liang-zhi-wei")
    clock.advance(61)
    error = await _fails(connector, params, request)
    assert (error.failure, error.upstream_code) == (
        UpstreamFailure.CODE_EXPIRED,
        "invalid_grant/40003",
    )


# --- the callback ---------------------------------------------------------------------


async def test_a_resident_who_cancels_is_cancelled(
    connector: GuangdongConnector, resident: SignIn
) -> None:
    params, request = await resident(connector, "chen-fa-ming", action="cancel")
    assert "code" not in params
    error = await _fails(connector, params, request)
    assert (error.failure, error.upstream_code) == (UpstreamFailure.CANCELLED, "access_denied")


@pytest.mark.parametrize(
    ("error", "failure", "code"),
    [
        ("temporarily_unavailable", UpstreamFailure.UNAVAILABLE, "temporarily_unavailable"),
        ("server_error", UpstreamFailure.UNAVAILABLE, "server_error"),
        ("unauthorized_client", UpstreamFailure.REFUSED, "unauthorized_client"),
        ("invalid_request", UpstreamFailure.REFUSED, "invalid_request"),
        ("login_failed", UpstreamFailure.PROTOCOL, "login_failed"),
        ("<script>alert(1)</script>", UpstreamFailure.PROTOCOL, "malformed"),
        ("", UpstreamFailure.PROTOCOL, "malformed"),
    ],
)
async def test_an_error_in_the_callback_is_classified_and_never_redeemed(
    connector: GuangdongConnector, error: str, failure: UpstreamFailure, code: str
) -> None:
    caught = await _fails(connector, *_callback(error=error, code=CODE))
    assert (caught.failure, caught.upstream_code) == (failure, code)
    assert "<script>" not in str(caught)


@pytest.mark.parametrize("state", ["s-2", "", None])
async def test_a_callback_with_another_state_is_refused_before_the_code_is_used(
    connector: GuangdongConnector, resident: SignIn, state: str | None
) -> None:
    params, request = await resident(connector, "chen-fa-ming")
    forged = {k: v for k, v in params.items() if k != "state"}
    if state is not None:
        forged["state"] = state
    error = await _fails(connector, forged, request)
    assert (error.failure, error.detail) == (
        UpstreamFailure.PROTOCOL,
        "Guangdong callback: state mismatch",
    )
    assert (await connector.complete(params, request)).subject  # the code was not spent


@pytest.mark.parametrize("code", [None, "", "../../tif", "a" * 129, "code with spaces"])
async def test_a_callback_without_a_usable_code_is_protocol(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform, code: str | None
) -> None:
    connector = make_connector(api_base_url=fake_url)
    params, request = _callback() if code is None else _callback(code=code)
    error = await _fails(connector, params, request)
    assert (error.failure, error.detail) == (
        UpstreamFailure.PROTOCOL,
        "Guangdong callback: no usable code",
    )
    assert fake.queries == []


# --- a platform that is down or slow ---------------------------------------------------


async def test_an_unreachable_platform_is_unavailable(make_connector: MakeConnector) -> None:
    sock = bind_loopback()
    closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()
    connector = make_connector(api_base_url=closed, timeout_seconds=1)
    started = time.monotonic()
    error = await _fails(connector, *_callback(code=CODE))
    assert time.monotonic() - started < 2
    assert (error.failure, error.detail) == (
        UpstreamFailure.UNAVAILABLE,
        "Guangdong access_token: ConnectError",
    )


@pytest.mark.parametrize("endpoint", ["access_token", "tokeninfo"])
async def test_a_platform_that_does_not_answer_in_time_is_unavailable(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform, endpoint: str
) -> None:
    fake.answers[endpoint].hold = True
    connector = make_connector(api_base_url=fake_url, timeout_seconds=0.3)
    started = time.monotonic()
    error = await _fails(connector, *_callback(code=CODE))
    assert time.monotonic() - started < 1.5
    assert (error.failure, error.detail) == (
        UpstreamFailure.UNAVAILABLE,
        f"Guangdong {endpoint}: timed out",
    )


async def test_a_platform_that_trickles_its_answer_is_cut_off_at_the_timeout(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform
) -> None:
    # Every byte comes within the timeout, so only a limit on the whole call stops it.
    fake.answers["access_token"].trickle = 0.1
    connector = make_connector(api_base_url=fake_url, timeout_seconds=0.5)
    started = time.monotonic()
    error = await _fails(connector, *_callback(code=CODE))
    assert time.monotonic() - started < 1.5
    assert error.failure is UpstreamFailure.UNAVAILABLE


@pytest.mark.parametrize("status", [500, 502, 503, 429])
@pytest.mark.parametrize("endpoint", ["access_token", "tokeninfo"])
async def test_a_server_error_is_unavailable(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform, status: int, endpoint: str
) -> None:
    fake.answers[endpoint] = Answer(status=status, body=b"<html>busy</html>", headers=())
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert (error.failure, error.detail) == (
        UpstreamFailure.UNAVAILABLE,
        f"Guangdong {endpoint}: HTTP {status}",
    )


# --- answers the bridge cannot use ---------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "failure"),
    [
        (Answer(body=b"<html>maintenance</html>", headers=()), UpstreamFailure.PROTOCOL),
        (Answer(body=b"[1, 2]"), UpstreamFailure.PROTOCOL),
        (Answer(body=b'{"access_token": '), UpstreamFailure.PROTOCOL),
        (Answer(status=404, body=b"<html>not found</html>", headers=()), UpstreamFailure.REFUSED),
        (Answer(status=302, body=b"", headers=(("location", "/"),)), UpstreamFailure.REFUSED),
        (Answer(body=as_json({"token_type": "Bearer"})), UpstreamFailure.PROTOCOL),
        (Answer(body=as_json({**TOKEN_OK, "access_token": "a b"})), UpstreamFailure.PROTOCOL),
        (Answer(body=as_json({**TOKEN_OK, "token_type": "mac"})), UpstreamFailure.PROTOCOL),
        (Answer(body=as_json({**TOKEN_OK, "access_token": 42})), UpstreamFailure.PROTOCOL),
    ],
)
async def test_an_unusable_token_answer_is_classified(
    make_connector: MakeConnector,
    fake_url: str,
    fake: FakePlatform,
    answer: Answer,
    failure: UpstreamFailure,
) -> None:
    fake.answers["access_token"] = answer
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert error.failure is failure
    assert len(fake.queries) == 1  # tokeninfo was never asked


@pytest.mark.parametrize(
    ("body", "failure", "code"),
    [
        # The older deployment's shape: error_code/error_msg only.
        ({"error_code": "40003", "error_msg": "x"}, UpstreamFailure.CODE_EXPIRED, "40003"),
        ({"error_code": "40002", "error_msg": "x"}, UpstreamFailure.REFUSED, "40002"),
        ({"error_code": 40003}, UpstreamFailure.CODE_EXPIRED, "40003"),
        ({"error_code": "49999"}, UpstreamFailure.REFUSED, "49999"),
        ({"error": "invalid_grant"}, UpstreamFailure.CODE_EXPIRED, "invalid_grant"),
        ({"error": "invalid_scope"}, UpstreamFailure.REFUSED, "invalid_scope"),
        ({"error": "temporarily_unavailable"}, UpstreamFailure.UNAVAILABLE, None),
        ({"error": "something_new"}, UpstreamFailure.REFUSED, "something_new"),
        ({"error": {"nested": 1}}, UpstreamFailure.REFUSED, "malformed"),
    ],
)
@pytest.mark.parametrize("status", [200, 400])
async def test_a_token_error_answer_is_classified_even_with_status_200(
    make_connector: MakeConnector,
    fake_url: str,
    fake: FakePlatform,
    body: dict[str, Any],
    failure: UpstreamFailure,
    code: str | None,
    status: int,
) -> None:
    fake.answers["access_token"] = Answer(status=status, body=as_json(body))
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert error.failure is failure
    if code is not None:
        assert error.upstream_code == code


@pytest.mark.parametrize(
    ("body", "failure"),
    [
        ({"errcode": 40014, "errmsg": "invalid access_token"}, UpstreamFailure.REFUSED),
        ({"errcode": "40014", "errmsg": "invalid access_token"}, UpstreamFailure.REFUSED),
        ({"errcode": 42001, "errmsg": "access_token expired"}, UpstreamFailure.CODE_EXPIRED),
        ({"errcode": -1, "errmsg": "system busy"}, UpstreamFailure.UNAVAILABLE),
        ({"errcode": 45009, "errmsg": "?"}, UpstreamFailure.REFUSED),
        ({"errcode": 40014, "userobj": USEROBJ_OK}, UpstreamFailure.REFUSED),
    ],
)
async def test_a_tokeninfo_errcode_is_classified(
    make_connector: MakeConnector,
    fake_url: str,
    fake: FakePlatform,
    body: dict[str, Any],
    failure: UpstreamFailure,
) -> None:
    fake.answers["tokeninfo"] = Answer(body=as_json(body))
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert error.failure is failure
    assert error.upstream_code == f"errcode {body['errcode']}"
    assert "errmsg" not in error.detail and str(body.get("errmsg")) not in error.detail


@pytest.mark.parametrize(
    "body",
    [
        {"errcode": 0, "errmsg": "ok"},
        {"errcode": 0, "userobj": ["not", "an", "object"]},
        {"errcode": 0, "userobj": {"cn": "没有标识"}},
        {"errcode": 0, "userobj": {"useridcode": 12345}},
        {"errcode": 0, "userobj": {"useridcode": "../../etc"}},
        {"errcode": 0, "userobj": {"useridcode": "x" * 65}},
    ],
)
async def test_a_tokeninfo_without_a_usable_user_is_protocol(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform, body: dict[str, Any]
) -> None:
    fake.answers["tokeninfo"] = Answer(body=as_json(body))
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert error.failure is UpstreamFailure.PROTOCOL


async def test_the_platforms_own_answer_without_errcode_is_accepted(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform
) -> None:
    # The DTO seen in integrations has userobj/pareobj/signdata and no errcode; tokenid
    # (the platform's SSO token) and fields of the wrong type are not passed on.
    userobj = {
        **USEROBJ_OK,
        "tokenid": "AQIC5wM2LY4Sfcx",
        "sex": 1,
        "extproperties": "origin=gdbs",
    }
    fake.answers["tokeninfo"] = Answer(body=as_json({"userobj": userobj, "pareobj": {}}))
    connector = make_connector(api_base_url=fake_url)
    fields = ("cn", "sex", "extproperties", "tokenid")
    identity = await connector.complete(
        {"state": "s-1", "code": CODE}, UpstreamAuthRequest(state="s-1", fields=fields)
    )
    assert identity.subject == USEROBJ_OK["useridcode"]
    assert dict(identity.attributes) == {"cn": "测试"}


async def test_the_back_channel_sends_the_dialects_parameters(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform
) -> None:
    await make_connector(api_base_url=fake_url).complete(*_callback(code=CODE))
    token_query, info_query = fake.queries
    assert token_query == (
        "client_id=gba-bridge-dev&client_secret=test-bridge-upstream-secret-0123456789"
        f"&code={CODE}&grant_type=authorization_code"
        "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8000%2Fcallback%2Fguangdong&scope=all"
    )
    assert info_query == "access_token=" + TOKEN_OK["access_token"]


LARGE = as_json({**TOKEN_OK, "padding": "x" * 70_000})


@pytest.mark.parametrize(
    "answer",
    [
        Answer(body=LARGE),  # chunked: no Content-Length
        Answer(body=LARGE, headers=(("content-length", str(len(LARGE))),)),
        Answer(
            body=gzip.compress(as_json({**TOKEN_OK, "padding": "x" * 10_000_000})),
            headers=(("content-type", "application/json"), ("content-encoding", "gzip")),
        ),
    ],
)
async def test_an_oversized_answer_is_protocol(
    make_connector: MakeConnector, fake_url: str, fake: FakePlatform, answer: Answer
) -> None:
    fake.answers["access_token"] = answer
    error = await _fails(make_connector(api_base_url=fake_url), *_callback(code=CODE))
    assert (error.failure, error.detail) == (
        UpstreamFailure.PROTOCOL,
        "Guangdong access_token: answer too large",
    )
