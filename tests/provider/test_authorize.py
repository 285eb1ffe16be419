"""The authorization request's checks (RFC 6749 §4.1.1, §4.1.2.1; OIDC Core §3.1.2.1;
RFC 7636 §4.4.1): until the client and its redirect URI are verified an error carries
no redirect URI (it becomes a page); after that, every error goes back to the client."""

from __future__ import annotations

import pytest

from bridge.errors import (
    InvalidRedirectUriError,
    InvalidRequestError,
    InvalidScopeError,
    LoginRequiredError,
    OAuthError,
)
from bridge.model import AuthorizationRequest
from bridge.provider.authorize import parse_authorization_request
from bridge.provider.clients import ClientRegistry
from tests.provider.kit import REDIRECT, make_client, verifier_and_challenge

CLIENTS = ClientRegistry({"portal": make_client("portal")})
SCOPES = ("openid", "profile", "email")
CHALLENGE = verifier_and_challenge()[1]


def params(**values: str | None) -> list[tuple[str, str]]:
    base: dict[str, str | None] = {
        "client_id": "portal",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": "openid profile",
        "state": "client-state",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    base.update(values)
    return [(k, v) for k, v in base.items() if v is not None]


def parse(items: list[tuple[str, str]]) -> AuthorizationRequest:
    return parse_authorization_request(items, CLIENTS, supported_scopes=SCOPES)[1]


def refusal(items: list[tuple[str, str]]) -> OAuthError:
    with pytest.raises(OAuthError) as refused:
        parse(items)
    return refused.value


def test_a_valid_request_is_accepted_with_its_binding() -> None:
    request = parse(params(nonce="n", max_age="60", prompt="login"))
    assert request.request.client_id == "portal"
    assert request.request.scopes == ("openid", "profile")
    assert (request.ending.redirect_uri, request.ending.state) == (REDIRECT, "client-state")
    assert (request.ending.code_challenge, request.ending.nonce) == (CHALLENGE, "n")
    assert (request.request.max_age, request.request.prompt) == (60, ("login",))


@pytest.mark.parametrize(
    "bad",
    [
        {"client_id": "unknown"},
        {"client_id": None},
        {"redirect_uri": "https://evil.test/callback"},
        {"redirect_uri": REDIRECT + "/"},  # exact match: no prefix, no normalisation
        {"redirect_uri": None},
    ],
)
def test_an_unknown_client_or_unregistered_redirect_uri_is_never_redirected(
    bad: dict[str, str | None],
) -> None:
    # Even when the rest of the request is also wrong, the page is what comes first.
    error = refusal(params(response_type="token", code_challenge=None, **bad))
    assert isinstance(error, InvalidRedirectUriError)
    assert error.redirect_uri is None


def test_a_repeated_redirect_uri_is_never_redirected() -> None:
    error = refusal([*params(), ("redirect_uri", "https://evil.test/callback")])
    assert isinstance(error, InvalidRedirectUriError) and error.redirect_uri is None


def test_errors_after_the_redirect_uri_is_verified_go_back_with_state() -> None:
    error = refusal(params(response_type="token"))
    assert error.error == "unsupported_response_type"
    assert (error.redirect_uri, error.state) == (REDIRECT, "client-state")


@pytest.mark.parametrize(
    "missing",
    [{"code_challenge": None}, {"code_challenge_method": None}, {"code_challenge_method": "plain"}],
)
def test_pkce_with_s256_is_required(missing: dict[str, str | None]) -> None:
    error = refusal(params(**missing))
    assert isinstance(error, InvalidRequestError) and "code_challenge" in error.description
    assert error.redirect_uri == REDIRECT


def test_a_malformed_code_challenge_is_refused() -> None:
    error = refusal(params(code_challenge="too-short"))
    assert "Malformed code_challenge" in error.description


def test_the_openid_scope_is_required() -> None:
    assert isinstance(refusal(params(scope="profile")), InvalidScopeError)


def test_a_scope_the_client_is_not_allowed_is_refused() -> None:
    error = refusal(params(scope="openid email"))
    assert isinstance(error, InvalidScopeError) and "not allowed" in error.description


def test_an_unknown_scope_is_refused() -> None:
    assert isinstance(refusal(params(scope="openid telepathy")), InvalidScopeError)


def test_an_unknown_prompt_value_is_refused() -> None:
    error = refusal(params(prompt="login sudo"))
    assert isinstance(error, InvalidRequestError) and "prompt" in error.description


def test_prompt_none_is_login_required() -> None:
    """The bridge keeps no session of its own: it can never sign in silently."""
    error = refusal(params(prompt="none"))
    assert isinstance(error, LoginRequiredError) and error.redirect_uri == REDIRECT


def test_prompt_none_with_other_values_is_an_invalid_request() -> None:
    error = refusal(params(prompt="none login"))
    assert type(error) is InvalidRequestError


@pytest.mark.parametrize("max_age", ["-1", "1.5", "ten", "99999999999", "١٢"])
def test_max_age_must_be_a_non_negative_number_of_seconds(max_age: str) -> None:
    error = refusal(params(max_age=max_age))
    assert isinstance(error, InvalidRequestError) and "max_age" in error.description


def test_max_age_zero_is_accepted() -> None:
    assert parse(params(max_age="0")).request.max_age == 0


@pytest.mark.parametrize("name", ["request", "request_uri"])
def test_request_objects_are_not_supported(name: str) -> None:
    error = refusal(params(**{name: "x"}))
    assert error.error == f"{name}_not_supported"


def test_a_repeated_parameter_is_refused() -> None:
    error = refusal([*params(), ("scope", "openid")])
    assert "repeated" in error.description


def test_a_repeated_state_is_not_echoed() -> None:
    error = refusal([*params(), ("state", "attacker")])
    assert error.state is None and error.redirect_uri == REDIRECT


def test_an_overlong_state_is_not_echoed() -> None:
    error = refusal(params(state="s" * 3000))
    assert error.state is None


def test_only_the_query_response_mode_is_supported() -> None:
    error = refusal(params(response_mode="fragment"))
    assert "response_mode" in error.description
