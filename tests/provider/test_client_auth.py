"""Client authentication at the back channel (RFC 6749 §2.3; RFC 7523 §2.2, §3; OIDC
Core §9), through `ClientAuthenticator.authenticate` as the token endpoint calls it."""

from __future__ import annotations

import base64
import secrets
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote_plus

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from bridge.errors import InvalidClientError, InvalidRequestError, OAuthError
from bridge.provider.clients import Client
from tests.provider.kit import ISSUER, NOW, Provider, build_provider, make_client, secret_sha256

TOKEN_ENDPOINT = f"{ISSUER}/token"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
CLIENT_KEY = ECKey.generate_key("P-256", parameters={"kid": "c-1"}, private=True)
OTHER_KEY = ECKey.generate_key("P-256", parameters={"kid": "c-1"}, private=True)
ODD_SECRET = "s3cr:et+with%odd&chars"


def jwt_client() -> Client:
    return make_client(
        "jwt-portal",
        client_secret_sha256=None,
        token_endpoint_auth_methods=["private_key_jwt"],
        jwks={"keys": [CLIENT_KEY.as_dict(private=False)]},
    )


@pytest.fixture
async def op() -> AsyncIterator[Provider]:
    provider = build_provider(
        make_client("portal"),
        make_client("basic-only", token_endpoint_auth_methods=["client_secret_basic"]),
        make_client("odd.client", client_secret_sha256=secret_sha256(ODD_SECRET)),
        jwt_client(),
    )
    yield provider
    await provider.aclose()


def basic(client_id: str, secret: str) -> str:
    pair = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return "Basic " + base64.b64encode(pair).decode()


async def authenticate(op: Provider, authorization: str | None = None, **form: str) -> Client:
    return await op.oauth.client_auth.authenticate(authorization, form, endpoint=TOKEN_ENDPOINT)


async def refusal(op: Provider, authorization: str | None = None, **form: str) -> OAuthError:
    with pytest.raises(OAuthError) as refused:
        await authenticate(op, authorization, **form)
    return refused.value


def assertion(
    key: ECKey = CLIENT_KEY,
    *,
    header: dict[str, str] | None = None,
    without: tuple[str, ...] = (),
    **claims: Any,
) -> str:
    now = int(NOW)
    values = {
        "iss": "jwt-portal",
        "sub": "jwt-portal",
        "aud": TOKEN_ENDPOINT,
        "iat": now,
        "exp": now + 60,
        "jti": secrets.token_urlsafe(8),
        **claims,
    }
    for name in without:
        del values[name]
    return jwt.encode({"alg": "ES256", "kid": "c-1", **(header or {})}, values, key)


def assertion_form(token: str) -> dict[str, str]:
    return {"client_assertion_type": JWT_BEARER, "client_assertion": token}


async def test_client_secret_basic_authenticates(op: Provider) -> None:
    client = await authenticate(op, basic("portal", "portal-secret"))
    assert client.client_id == "portal"


async def test_client_secret_post_authenticates(op: Provider) -> None:
    client = await authenticate(op, client_id="portal", client_secret="portal-secret")
    assert client.client_id == "portal"


async def test_basic_credentials_are_form_urlencoded_before_encoding(op: Provider) -> None:
    """RFC 6749 §2.3.1: a secret with ':' or '+' survives the Basic encoding."""
    client = await authenticate(op, basic("odd.client", ODD_SECRET))
    assert client.client_id == "odd.client"


async def test_a_wrong_secret_is_invalid_client(op: Provider) -> None:
    error = await refusal(op, basic("portal", "portal-secret-not"))
    assert isinstance(error, InvalidClientError)
    assert error.www_authenticate is not None, "Basic gets a challenge (RFC 6749 §5.2)"


async def test_an_unknown_client_is_refused_exactly_like_a_wrong_secret(op: Provider) -> None:
    """Which clients exist is not to be learnt from the answer."""
    unknown = await refusal(op, client_id="nobody", client_secret="portal-secret")
    wrong = await refusal(op, client_id="portal", client_secret="wrong")
    assert isinstance(unknown, InvalidClientError)
    assert (unknown.description, unknown.www_authenticate, unknown.status_code) == (
        wrong.description,
        wrong.www_authenticate,
        wrong.status_code,
    )


async def test_a_client_without_a_secret_accepts_no_secret(op: Provider) -> None:
    for secret in ("", "0" * 64, "jwt-portal-secret"):
        error = await refusal(op, client_id="jwt-portal", client_secret=secret)
        assert isinstance(error, InvalidClientError)


async def test_a_method_the_client_did_not_register_is_refused(op: Provider) -> None:
    error = await refusal(op, client_id="basic-only", client_secret="basic-only-secret")
    assert isinstance(error, InvalidClientError)
    assert (await authenticate(op, basic("basic-only", "basic-only-secret"))).client_id


async def test_two_methods_at_once_are_an_invalid_request(op: Provider) -> None:
    error = await refusal(op, basic("portal", "portal-secret"), client_secret="portal-secret")
    assert isinstance(error, InvalidRequestError)
    both = await refusal(op, client_secret="x", **assertion_form(assertion()))
    assert isinstance(both, InvalidRequestError)


async def test_a_body_client_id_that_differs_from_basic_is_refused(op: Provider) -> None:
    error = await refusal(op, basic("portal", "portal-secret"), client_id="other")
    assert isinstance(error, InvalidRequestError)


async def test_no_credentials_is_invalid_client_with_a_challenge(op: Provider) -> None:
    error = await refusal(op, client_id="portal")
    assert isinstance(error, InvalidClientError) and error.www_authenticate


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()])
async def test_malformed_basic_credentials_are_invalid_client(op: Provider, header: str) -> None:
    error = await refusal(op, header)
    assert isinstance(error, InvalidClientError) and error.www_authenticate


async def test_private_key_jwt_authenticates(op: Provider) -> None:
    client = await authenticate(op, **assertion_form(assertion()))
    assert client.client_id == "jwt-portal"


@pytest.mark.parametrize("aud", [ISSUER, TOKEN_ENDPOINT, [TOKEN_ENDPOINT]])
async def test_the_assertions_audience_may_be_the_issuer_or_the_endpoint(
    op: Provider, aud: Any
) -> None:
    assert await authenticate(op, **assertion_form(assertion(aud=aud)))


async def test_an_assertion_jti_is_accepted_once(op: Provider) -> None:
    token = assertion()
    await authenticate(op, **assertion_form(token))
    error = await refusal(op, **assertion_form(token))
    assert isinstance(error, InvalidClientError) and "jti" in error.description


async def test_the_same_jti_in_a_new_assertion_is_a_replay(op: Provider) -> None:
    await authenticate(op, **assertion_form(assertion(jti="once")))
    op.clock.advance(5)
    error = await refusal(op, **assertion_form(assertion(jti="once", iat=int(NOW) + 5)))
    assert "jti" in error.description


@pytest.mark.parametrize(
    "aud",
    [
        "https://other-op.test/token",
        [TOKEN_ENDPOINT, "https://other-op.test/token"],  # exclusive: nothing else
        f"{ISSUER}/introspect",
    ],
)
async def test_an_assertion_for_another_audience_is_refused(op: Provider, aud: Any) -> None:
    error = await refusal(op, **assertion_form(assertion(aud=aud)))
    assert isinstance(error, InvalidClientError) and "audience" in error.description


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"sub": "someone-else"}, "sub"),
        ({"exp": int(NOW) - 120, "iat": int(NOW) - 180}, "expired"),
        ({"exp": int(NOW) + 3600}, "lives longer"),
        ({"iss": "jwt-portal", "aud": None}, "aud"),
    ],
)
async def test_an_assertion_breaking_a_claim_rule_is_refused(
    op: Provider, claims: dict[str, Any], reason: str
) -> None:
    without = tuple(k for k, v in claims.items() if v is None)
    kept = {k: v for k, v in claims.items() if v is not None}
    error = await refusal(op, **assertion_form(assertion(without=without, **kept)))
    assert isinstance(error, InvalidClientError)
    assert reason in error.description.lower()


async def test_an_assertion_without_a_jti_is_refused(op: Provider) -> None:
    """Without a jti a replay could not be told from a new assertion."""
    error = await refusal(op, **assertion_form(assertion(without=("jti",))))
    assert isinstance(error, InvalidClientError) and "jti" in error.description


async def test_an_assertion_signed_with_another_key_is_refused(op: Provider) -> None:
    error = await refusal(op, **assertion_form(assertion(key=OTHER_KEY)))
    assert isinstance(error, InvalidClientError) and "signature" in error.description


async def test_an_access_token_is_no_client_assertion(op: Provider) -> None:
    token = assertion(header={"typ": "at+jwt"})
    error = await refusal(op, **assertion_form(token))
    assert isinstance(error, InvalidClientError)


async def test_an_unsigned_assertion_is_refused(op: Provider) -> None:
    signed = assertion()
    header = base64.urlsafe_b64encode(b'{"alg":"none"}').rstrip(b"=").decode()
    unsigned = ".".join([header, signed.split(".")[1], ""])
    error = await refusal(op, **assertion_form(unsigned))
    assert isinstance(error, InvalidClientError)


async def test_a_secret_client_cannot_use_private_key_jwt(op: Provider) -> None:
    error = await refusal(op, **assertion_form(assertion(iss="portal", sub="portal")))
    assert isinstance(error, InvalidClientError)


async def test_the_assertion_type_must_be_jwt_bearer(op: Provider) -> None:
    form = {**assertion_form(assertion()), "client_assertion_type": "urn:example:saml"}
    error = await refusal(op, **form)
    assert isinstance(error, InvalidClientError)


async def test_a_body_client_id_that_differs_from_the_assertion_is_refused(
    op: Provider,
) -> None:
    error = await refusal(op, client_id="portal", **assertion_form(assertion()))
    assert isinstance(error, InvalidRequestError)
