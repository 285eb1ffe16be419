"""Input an attacker controls without any credentials never becomes a 500: the roots the
outside attack run found (issue 10), each answered in the protocol's own form."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from bridge.errors import InvalidRequestError
from tests.flows.conftest import Chain
from tests.support.rp import RelyingParty

# RFC 6749 §5.2: error_description is %x20-21 / %x23-5B / %x5D-7E.
_SAFE = {chr(c) for c in range(0x20, 0x7F)} - {'"', "\\"}


def redirected_error(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, (response.status_code, response.text[:200])
    query = parse_qs(urlsplit(response.headers["location"]).query)
    return {k: v[0] for k, v in query.items()}


@pytest.mark.parametrize(
    ("scope", "error"),
    [
        ("openid \u00e9", "invalid_scope"),
        ('openid "profile', "invalid_scope"),
        ("openid back\\slash", "invalid_scope"),
        ("openid \u202e\u4e2d", "invalid_scope"),
    ],
)
def test_authorize_with_a_hostile_scope_value_redirects_a_safe_error(
    chain: Chain, scope: str, error: str
) -> None:
    rp = RelyingParty(chain.bridge)
    query = redirected_error(httpx.get(rp.authorization_request(scope=scope).url))
    assert query["error"] == error
    assert set(query["error_description"]) <= _SAFE


@pytest.mark.parametrize(
    "extra",
    [
        "&%C3%A9=1&%C3%A9=2",  # a repeated non-ASCII name
        "&%C3%A9=" + "x" * 3000,  # an over-long value under a non-ASCII name
        "&%22=1&%22=2",  # a repeated `"`
        "&%E2%80%AE%0D%0A=" + "y" * 2100,
    ],
)
def test_authorize_with_a_hostile_parameter_name_redirects_a_safe_error(
    chain: Chain, extra: str
) -> None:
    rp = RelyingParty(chain.bridge)
    query = redirected_error(httpx.get(rp.authorization_request().url + extra))
    assert query["error"] == "invalid_request"
    assert set(query["error_description"]) <= _SAFE


@pytest.mark.parametrize(
    "credentials",
    [
        base64.b64encode(b"\xff\xfe:\xc3\x28"),  # base64, but not UTF-8
        "\u00e9t\u00e9:x".encode("latin-1"),  # not ASCII at all
        b"!!!!",  # not base64
    ],
    ids=["not-utf8", "not-ascii", "not-base64"],
)
@pytest.mark.parametrize("path", ["/token", "/introspect", "/revoke"])
def test_malformed_basic_credentials_are_invalid_client(
    chain: Chain, path: str, credentials: bytes
) -> None:
    response = httpx.post(
        chain.bridge + path,
        data={"grant_type": "authorization_code", "code": "x", "token": "x"},
        headers={"Authorization": b"Basic " + credentials},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic ")


def test_an_error_description_with_forbidden_characters_is_made_safe() -> None:
    error = InvalidRequestError('Parameter "\u00e9\\ is wrong')
    assert set(error.description) <= _SAFE
    assert error.description == "Parameter ??? is wrong"
