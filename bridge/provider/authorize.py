"""The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) as an ordered list
of checks (node-oidc-provider's pipeline).

Order matters: until the client and its redirect URI are verified, an error is shown
as a page and never redirected (§4.1.2.1; no open redirector). After that, errors go
back to the client with `state` and `iss`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from bridge.errors import (
    InvalidRedirectUriError,
    InvalidRequestError,
    InvalidScopeError,
    LoginRequiredError,
    OAuthError,
    RequestNotSupportedError,
    RequestUriNotSupportedError,
    UnsupportedResponseTypeError,
    quoted,
)
from bridge.model import AuthorizationRequest, ClientRequest, CodeEnding
from bridge.provider import pkce
from bridge.provider.clients import Client, ClientRegistry
from bridge.wire import PKCE_S256, RESPONSE_TYPE_CODE, SCOPE_OPENID

MAX_PARAMETER_LENGTH = 2048
PROMPTS = ("none", "login", "consent", "select_account")
MAX_PARAMETERS = 50


@dataclass(frozen=True, slots=True)
class _Params:
    values: dict[str, str]
    repeated: frozenset[str]

    def get(self, name: str) -> str | None:
        return self.values.get(name)


def _collect(items: Iterable[tuple[str, str]]) -> _Params:
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for count, (name, value) in enumerate(items):
        if count >= MAX_PARAMETERS:
            raise InvalidRedirectUriError(
                "The request has too many parameters", message_key="error_invalid_request"
            )
        if name in values:
            repeated.add(name)
        values[name] = value
    return _Params(values, frozenset(repeated))


def _verified_client(params: _Params, clients: ClientRegistry) -> tuple[Client, str]:
    if {"client_id", "redirect_uri"} & params.repeated:
        raise InvalidRedirectUriError(
            "client_id and redirect_uri may appear only once", message_key="error_bad_redirect"
        )
    client_id = params.get("client_id") or ""
    client = clients.get(client_id)
    if client is None:
        raise InvalidRedirectUriError(
            "Unknown client",
            detail=f"client_id {client_id[:64]!r} is not registered",
            message_key="error_unknown_client",
        )
    redirect_uri = params.get("redirect_uri") or ""
    if redirect_uri not in client.redirect_uris:
        raise InvalidRedirectUriError(
            "The redirect_uri is not registered for this client",
            detail=f"client {client.client_id} sent an unregistered redirect_uri",
            message_key="error_bad_redirect",
        )
    return client, redirect_uri


def _check(condition: bool, error: OAuthError) -> None:
    if not condition:
        raise error


def parse_authorization_request(
    items: Iterable[tuple[str, str]],
    clients: ClientRegistry,
    *,
    supported_scopes: Collection[str],
) -> tuple[Client, AuthorizationRequest]:
    params = _collect(items)
    client, redirect_uri = _verified_client(params, clients)
    state = params.get("state")
    if state is not None and (len(state) > MAX_PARAMETER_LENGTH or "state" in params.repeated):
        state = None  # never echo what we refused to read
    try:
        return client, _checked_request(params, client, redirect_uri, state, supported_scopes)
    except OAuthError as error:
        error.redirect_uri = redirect_uri
        error.state = state
        raise


def _checked_request(
    params: _Params,
    client: Client,
    redirect_uri: str,
    state: str | None,
    supported_scopes: Collection[str],
) -> AuthorizationRequest:
    if params.repeated:
        name = min(params.repeated)
        raise InvalidRequestError(f"Parameter {quoted(name)} must not be repeated (RFC 6749 3.1)")
    for name, value in params.values.items():
        _check(
            len(value) <= MAX_PARAMETER_LENGTH,
            InvalidRequestError(f"Parameter {quoted(name)} is too long"),
        )
    _check("request" not in params.values, RequestNotSupportedError())
    _check("request_uri" not in params.values, RequestUriNotSupportedError())
    _check(
        params.get("response_type") == RESPONSE_TYPE_CODE,
        UnsupportedResponseTypeError("Only response_type=code is supported"),
    )
    _check(
        params.get("response_mode") in (None, "query"),
        InvalidRequestError("Only response_mode=query is supported"),
    )
    scopes = tuple(dict.fromkeys((params.get("scope") or "").split()))
    _check(SCOPE_OPENID in scopes, InvalidScopeError("The openid scope is required"))
    for scope in scopes:
        _check(scope in supported_scopes, InvalidScopeError(f"Unknown scope {quoted(scope)}"))
        _check(
            scope in client.allowed_scopes,
            InvalidScopeError(f"Scope {quoted(scope)} is not allowed for this client"),
        )
    challenge = params.get("code_challenge")
    _check(
        challenge is not None,
        InvalidRequestError("code_challenge is required (PKCE, RFC 7636)"),
    )
    _check(
        params.get("code_challenge_method") == PKCE_S256,
        InvalidRequestError("code_challenge_method must be S256"),
    )
    assert challenge is not None  # noqa: S101 - narrowed by the check above
    _check(pkce.is_valid_challenge(challenge), InvalidRequestError("Malformed code_challenge"))
    prompts = _prompts(params.get("prompt"))
    return AuthorizationRequest(
        request=ClientRequest(
            client_id=client.client_id,
            scopes=scopes,
            ui_locales=tuple((params.get("ui_locales") or "").split())[:10],
            prompt=prompts,
            max_age=_max_age(params.get("max_age")),
        ),
        ending=CodeEnding(
            redirect_uri=redirect_uri,
            state=state,
            nonce=params.get("nonce"),
            code_challenge=challenge,
            code_challenge_method=PKCE_S256,
        ),
        idp_hint=params.get("idp_hint"),
    )


def _prompts(value: str | None) -> tuple[str, ...]:
    """OIDC Core §3.1.2.1 `prompt`. `none` can never be honoured: the bridge keeps no
    session of its own, so every sign-in goes to the upstream identity provider."""
    prompts = tuple(dict.fromkeys((value or "").split()))
    unknown = [p for p in prompts if p not in PROMPTS]
    if unknown:
        raise InvalidRequestError(f"Unknown prompt value {quoted(unknown[0])}")
    _check(
        not ("none" in prompts and len(prompts) > 1),
        InvalidRequestError("prompt=none cannot be combined with other values"),
    )
    _check(
        "none" not in prompts,
        LoginRequiredError("Sign-in at the identity provider is required"),
    )
    return prompts


def _max_age(value: str | None) -> int | None:
    if value is None:
        return None
    _check(
        value.isascii() and value.isdigit() and len(value) <= 10,
        InvalidRequestError("max_age must be a non-negative number of seconds"),
    )
    return int(value)
