"""Property-based fuzzing of every endpoint a client or a browser can reach without
credentials: /authorize (GET and POST), /token (every grant, the device code's
included), /device_authorization, /introspect, /revoke and /userinfo, and the resident's
pages of a kiosk sign-in and of logout (/device, /logout) — query, form, headers
including Authorization, and cookies. Whatever is sent, the answer
is never a 5xx and always in the protocol's own form: RFC 6749 §5.2 JSON at the
back-channel endpoints; at /authorize a page, or a redirect only to the upstream or to
the client's registered redirect URI.

Examples per test: FUZZ_EXAMPLES (default 200, about 30 s for the module in CI). A long
run, about ten minutes on this machine (5,000 took 8 min: 20,000 requests, no 5xx):

    FUZZ_EXAMPLES=6000 .venv/bin/pytest tests/fuzz -p no:cacheprovider -q
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import httpx
import pytest
import structlog
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.flows.conftest import Chain, running_chain
from tests.fuzz.strategies import (
    AUTHORIZATION,
    AUTHORIZE_BASE,
    CONTENT_TYPE,
    COOKIE,
    EXTRA_HEADERS,
    VERIFIER,
    headers_of,
    parameters,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
OAUTH_ERRORS = {
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "invalid_token",
    "insufficient_scope",
    "temporarily_unavailable",
    "not_found",
    # RFC 8628 §3.5, the device code's own answers at /token
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
}
DEVICE_TOKEN = {
    "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
    "device_code": "fuzz-device-code",
}
KIOSK_BASIC = "Basic dGVzdC1raW9zazp0ZXN0LWtpb3NrLXNlY3JldA=="  # test-kiosk:test-kiosk-secret
TOKEN_BASE = {
    "grant_type": "authorization_code",
    "code": "fuzz-code",
    "redirect_uri": "https://portal.test/callback",
    "code_verifier": VERIFIER,
}


@pytest.fixture(scope="module", autouse=True)
def quiet_logs() -> Iterator[None]:
    """Thousands of refused requests would each render a log line (and a 5xx a rich
    traceback, slow enough to stall shrinking); the assertions say what went wrong."""
    saved = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.CRITICAL))
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, redis_url: str) -> Iterator[Chain]:
    path = tmp_path_factory.mktemp("fuzz")
    # running_chain turns the rate limits off: 429s would hide what is behind them
    with running_chain(path, redis_url) as chain:
        yield chain


@pytest.fixture(scope="module")
def http(fuzzed: Chain) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fuzzed.bridge, timeout=30, follow_redirects=False) as client:
        yield client


def body_of(items: list[tuple[str, str]], raw: bytes | None) -> bytes:
    return raw if raw is not None else urlencode(items).encode("utf-8")


def assert_protocol_json(response: httpx.Response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        body = response.json()
        assert body["error"] in OAUTH_ERRORS, body
        description = body.get("error_description", "")
        assert all(0x20 <= ord(c) < 0x7F and c not in '"\\' for c in description), body


def assert_authorize_answer(chain: Chain, response: httpx.Response) -> None:
    status = response.status_code
    assert status < 500, (status, response.text[:300])
    if status in (302, 303):
        location = response.headers["location"]
        target = f"{urlsplit(location).scheme}://{urlsplit(location).netloc}"
        assert target in (chain.iamsmart, chain.guangdong, "https://portal.test"), location
        if target == "https://portal.test":
            assert location.startswith("https://portal.test/callback?"), location
    elif status != 200:
        assert status in (400, 405, 413, 429), status
        content_type = response.headers.get("content-type", "")
        if status == 405 or content_type.startswith("application/json"):
            assert_protocol_json(response)
        else:
            assert content_type.startswith("text/html"), content_type


@FUZZ
@given(params=parameters(AUTHORIZE_BASE), cookie=COOKIE, extra=EXTRA_HEADERS)
def test_authorize_by_get(
    fuzzed: Chain,
    http: httpx.Client,
    params: list[tuple[str, str]],
    cookie: str | None,
    extra: dict[str, str],
) -> None:
    headers = headers_of(None, None, cookie, extra)
    query = urlencode(params)
    response = http.get(f"/authorize?{query}", headers=headers)
    assert_authorize_answer(fuzzed, response)


@FUZZ
@given(
    params=parameters(AUTHORIZE_BASE),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
    content_type=CONTENT_TYPE,
    cookie=COOKIE,
    extra=EXTRA_HEADERS,
)
def test_authorize_by_post(
    fuzzed: Chain,
    http: httpx.Client,
    params: list[tuple[str, str]],
    raw: bytes | None,
    content_type: str,
    cookie: str | None,
    extra: dict[str, str],
) -> None:
    headers = headers_of(None, content_type, cookie, extra)
    response = http.post("/authorize", content=body_of(params, raw), headers=headers)
    assert_authorize_answer(fuzzed, response)


@FUZZ
@given(
    path=st.sampled_from(["/token", "/introspect", "/revoke", "/device_authorization"]),
    params=st.one_of(
        parameters(TOKEN_BASE),
        parameters(DEVICE_TOKEN),
        parameters({"scope": "openid profile"}),
        parameters({**TOKEN_BASE, "grant_type": "refresh_token", "refresh_token": "r"}),
        parameters({"token": "t", "token_type_hint": "access_token"}),
    ),
    raw=st.one_of(st.none(), st.none(), st.binary(max_size=200)),
    authorization=st.one_of(AUTHORIZATION, st.just(KIOSK_BASIC)),
    content_type=CONTENT_TYPE,
    cookie=COOKIE,
    extra=EXTRA_HEADERS,
    method=st.sampled_from(["POST", "POST", "POST", "GET", "PUT"]),
)
def test_back_channel_endpoints(
    http: httpx.Client,
    path: str,
    params: list[tuple[str, str]],
    raw: bytes | None,
    authorization: str | None,
    content_type: str,
    cookie: str | None,
    extra: dict[str, str],
    method: str,
) -> None:
    headers = headers_of(authorization, content_type, cookie, extra)
    response = http.request(method, path, content=body_of(params, raw), headers=headers)
    assert_protocol_json(response)
    assert response.headers["cache-control"] == "no-store"


@FUZZ
@given(
    query=parameters({"access_token": "a.b.c"}),
    params=parameters({"access_token": "a.b.c"}),
    authorization=AUTHORIZATION,
    content_type=CONTENT_TYPE,
    method=st.sampled_from(["GET", "POST"]),
    cookie=COOKIE,
    extra=EXTRA_HEADERS,
)
def test_userinfo(
    http: httpx.Client,
    query: list[tuple[str, str]],
    params: list[tuple[str, str]],
    authorization: str | None,
    content_type: str,
    method: str,
    cookie: str | None,
    extra: dict[str, str],
) -> None:
    headers = headers_of(authorization, content_type, cookie, extra)
    body = body_of(params, None) if method == "POST" else None
    response = http.request(method, f"/userinfo?{urlencode(query)}", content=body, headers=headers)
    if response.status_code == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")
        if response.json() == {}:
            return  # RFC 6750 §3.1: no token at all, so no error code
    assert_protocol_json(response)


@FUZZ
@given(
    path=st.sampled_from(["/device", "/device/continue", "/logout", "/logout/done"]),
    params=st.one_of(
        parameters({"user_code": "BCDF-GHJK", "lang": "zh-Hant"}),
        parameters({"user_code": "BCDF-GHJK", "answer": "approve", "csrf": "c"}),
        parameters(
            {
                "id_token_hint": "a.b.c",
                "post_logout_redirect_uri": "https://portal.test/",
                "client_id": "test-portal",
                "state": "s",
            }
        ),
    ),
    raw=st.one_of(st.none(), st.none(), st.binary(max_size=200)),
    content_type=CONTENT_TYPE,
    cookie=COOKIE,
    extra=EXTRA_HEADERS,
    method=st.sampled_from(["GET", "POST"]),
)
def test_resident_pages_of_kiosks_and_logout(
    fuzzed: Chain,
    http: httpx.Client,
    path: str,
    params: list[tuple[str, str]],
    raw: bytes | None,
    content_type: str,
    cookie: str | None,
    extra: dict[str, str],
    method: str,
) -> None:
    headers = headers_of(None, content_type, cookie, extra)
    if method == "GET":
        response = http.get(f"{path}?{urlencode(params)}", headers=headers)
    else:
        response = http.post(path, content=body_of(params, raw), headers=headers)
    status = response.status_code
    assert status < 500, (status, response.text[:300])
    if status in (302, 303):
        location = response.headers["location"]
        parts = urlsplit(location)
        target = f"{parts.scheme}://{parts.netloc}"
        # Only to the bridge itself, an upstream, or the client's registered address.
        known = (fuzzed.bridge, fuzzed.iamsmart, fuzzed.guangdong, "https://portal.test")
        assert not parts.netloc or target in known, location
    else:
        assert status in (200, 400, 403, 404, 405, 413, 429), status


def test_the_fuzz_reaches_past_the_first_checks(fuzzed: Chain, http: httpx.Client) -> None:
    """The mostly-valid base requests are valid: a fuzz made only of refusals at the
    first check would test little."""
    response = http.get(f"/authorize?{urlencode({**AUTHORIZE_BASE, 'idp_hint': 'iamsmart'})}")
    assert response.status_code == 302
    assert response.headers["location"].startswith(fuzzed.iamsmart)
    token = http.post("/token", data=TOKEN_BASE, auth=("test-portal", "test-portal-secret")).json()
    assert token["error"] == "invalid_grant", "authenticated, and refused only for the code"
