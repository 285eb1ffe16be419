"""Hostile or malformed token exchange requests (RFC 8693 §2.1, §2.2.2; RFC 8707 §2;
RFC 6749 §3.2, §5.2): each gets the error the RFCs name, with the right status, and
never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.flows.exchange_support import (
    ACCESS_TOKEN_TYPE,
    EXCHANGE,
    ExchangeChain,
)


@pytest.fixture(scope="module")
def subject(xc: ExchangeChain) -> str:
    token: str = xc.sign_in("portal-a", scope="openid profile")["access_token"]
    return token


def error_of(response: httpx.Response, status: int = 400) -> str:
    assert response.status_code == status, response.text
    assert response.headers["cache-control"] == "no-store"
    error: str = response.json()["error"]
    return error


def test_audience_outside_the_policy_is_invalid_target(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        "portal-b",
        subject_token=xc.sign_in("portal-b", scope="openid profile")["access_token"],
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="guangdong-platform",
    )
    assert error_of(response) == "invalid_target"


def test_unknown_audience_is_invalid_target(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject, subject_token_type=ACCESS_TOKEN_TYPE, audience="somewhere-else"
    )
    assert error_of(response) == "invalid_target"


def test_resource_outside_the_policy_is_invalid_target(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        resource="https://api.other.test/",
    )
    assert error_of(response) == "invalid_target"


def test_one_audience_outside_the_policy_spoils_the_request(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience=["yss-records", "not-allowed"],
    )
    assert error_of(response) == "invalid_target"


def test_relative_resource_is_invalid_target(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject, subject_token_type=ACCESS_TOKEN_TYPE, resource="/api#frag"
    )
    assert error_of(response) == "invalid_target"


def test_guangdong_token_together_with_another_audience_is_invalid_target(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience=["guangdong-platform", "yss-records"],
    )
    assert error_of(response) == "invalid_target"


def test_scope_widening_is_invalid_scope(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-api",
        scope="openid profile email",
    )
    assert error_of(response) == "invalid_scope"


def test_scope_beyond_the_targets_is_invalid_scope(xc: ExchangeChain, subject: str) -> None:
    """yss-records may carry only `profile`, though the subject token has `openid`."""
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-records",
        scope="openid",
    )
    assert error_of(response) == "invalid_scope"


def test_guangdong_scope_beyond_the_configured_is_invalid_scope(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="guangdong-platform",
        scope="all admin",
    )
    assert error_of(response) == "invalid_scope"


def test_missing_subject_token_is_invalid_request(xc: ExchangeChain) -> None:
    response = xc.exchange(subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api")
    assert error_of(response) == "invalid_request"


def test_missing_subject_token_type_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(subject_token=subject, audience="yss-api")
    assert error_of(response) == "invalid_request"


def test_actor_token_without_its_type_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        actor_token=subject,
        audience="yss-api",
    )
    assert error_of(response) == "invalid_request"


def test_unsupported_requested_token_type_is_invalid_request(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience="yss-api",
        requested_token_type="urn:ietf:params:oauth:token-type:saml2",
    )
    assert error_of(response) == "invalid_request"


def test_no_audience_without_a_default_target_is_invalid_request(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(subject_token=subject, subject_token_type=ACCESS_TOKEN_TYPE)
    assert error_of(response) == "invalid_request"


def test_duplicated_subject_token_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=[subject, subject], subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api"
    )
    assert error_of(response) == "invalid_request"
    assert "repeated" in response.json()["error_description"]


def test_duplicated_grant_type_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = xc.post(
        "/token",
        {
            "grant_type": [EXCHANGE, "authorization_code"],
            "subject_token": subject,
            "subject_token_type": ACCESS_TOKEN_TYPE,
        },
    )
    assert error_of(response) == "invalid_request"


def test_too_many_audiences_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = xc.exchange(
        subject_token=subject,
        subject_token_type=ACCESS_TOKEN_TYPE,
        audience=[f"aud-{n}" for n in range(6)],
    )
    assert error_of(response) == "invalid_request"


def test_oversized_body_is_invalid_request(xc: ExchangeChain) -> None:
    response = xc.exchange(
        subject_token="x" * 20_000, subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api"
    )
    assert error_of(response, 413) == "invalid_request"
    assert "too large" in response.json()["error_description"]


def test_oversized_subject_token_within_the_body_limit_is_invalid_request(
    xc: ExchangeChain,
) -> None:
    response = xc.exchange(
        subject_token="a." * 5000 + "b", subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api"
    )
    assert error_of(response) == "invalid_request"


def test_non_utf8_body_is_invalid_request(xc: ExchangeChain) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        content=b"grant_type=\xff\xfe&subject_token=\x80",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("portal-a", "portal-a-secret"),
    )
    assert error_of(response) == "invalid_request"


def test_repeated_non_ascii_parameter_is_invalid_request_not_a_server_error(
    xc: ExchangeChain,
) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        content="名=1&名=2".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        auth=("portal-a", "portal-a-secret"),
    )
    assert error_of(response) == "invalid_request"


def test_non_ascii_grant_type_is_unsupported_grant_type(xc: ExchangeChain) -> None:
    response = xc.post("/token", {"grant_type": "令牌交换"})
    assert error_of(response) == "unsupported_grant_type"


def test_json_body_is_invalid_request(xc: ExchangeChain, subject: str) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        json={"grant_type": EXCHANGE, "subject_token": subject},
        auth=("portal-a", "portal-a-secret"),
    )
    assert error_of(response) == "invalid_request"


def test_garbage_subject_token_is_invalid_request(xc: ExchangeChain) -> None:
    for garbage in ("not-a-jwt", "a.b.c", "e30.e30.", "....", "%00"):
        response = xc.exchange(
            subject_token=garbage, subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api"
        )
        assert error_of(response) == "invalid_request", garbage


def test_unauthenticated_exchange_is_invalid_client_with_a_challenge(
    xc: ExchangeChain, subject: str
) -> None:
    response = xc.exchange(
        None, subject_token=subject, subject_token_type=ACCESS_TOKEN_TYPE, audience="yss-api"
    )
    assert error_of(response, 401) == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_wrong_basic_secret_is_401_with_www_authenticate(xc: ExchangeChain, subject: str) -> None:
    response = httpx.post(
        f"{xc.bridge}/token",
        data={"grant_type": EXCHANGE, "subject_token": subject},
        auth=("portal-a", "wrong"),
    )
    assert error_of(response, 401) == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")
