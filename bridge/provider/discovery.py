"""OpenID Provider metadata (OIDC Discovery §3, RFC 8414 §2, RFC 9207 §3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bridge.wire import (
    AUTH_CLIENT_SECRET_BASIC,
    AUTH_CLIENT_SECRET_POST,
    AUTH_PRIVATE_KEY_JWT,
    GRANT_AUTHORIZATION_CODE,
    PKCE_S256,
    RESPONSE_TYPE_CODE,
)

RECEIVED_PROTOCOL_CLAIMS = ("sub", "auth_time", "acr")
"""Claims about the resident's sign-in that a client receives besides the mapped ones.
Protocol members (`iss`, `aud`, `exp`, `iat`, `nonce`, `at_hash`) are not claims a
client can ask for, so `claims_supported` does not list them (Discovery §3)."""
UI_LOCALES = ("en", "zh-Hant", "zh-Hans")


def endpoint(issuer: str, path: str) -> str:
    return f"{issuer}{path}"


def openid_configuration(
    issuer: str,
    *,
    scopes: Iterable[str],
    claims: Iterable[str],
    signing_algs: Iterable[str],
    acr_values: Iterable[str],
    grant_types: Iterable[str] = (GRANT_AUTHORIZATION_CODE,),
    client_assertion_algs: Iterable[str] = (),
    registration: bool = False,
    device_authorization: bool = False,
) -> dict[str, Any]:
    auth_methods = [AUTH_CLIENT_SECRET_BASIC, AUTH_CLIENT_SECRET_POST]
    assertion_algs = list(client_assertion_algs)
    algorithms = sorted(set(signing_algs))
    if assertion_algs:
        auth_methods.append(AUTH_PRIVATE_KEY_JWT)
    document: dict[str, Any] = {
        "issuer": issuer,
        "authorization_endpoint": endpoint(issuer, "/authorize"),
        "token_endpoint": endpoint(issuer, "/token"),
        "userinfo_endpoint": endpoint(issuer, "/userinfo"),
        "jwks_uri": endpoint(issuer, "/jwks.json"),
        "response_types_supported": [RESPONSE_TYPE_CODE],
        "response_modes_supported": ["query"],
        "grant_types_supported": list(grant_types),
        "subject_types_supported": ["pairwise"],
        # Each a client may choose (OIDC Registration §2); RS256 always (Discovery §3).
        "id_token_signing_alg_values_supported": algorithms,
        "userinfo_signing_alg_values_supported": algorithms,
        "token_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": [PKCE_S256],
        "scopes_supported": sorted(set(scopes)),
        "claims_supported": sorted({*RECEIVED_PROTOCOL_CLAIMS, *claims}),
        "claims_locales_supported": list(UI_LOCALES),
        "ui_locales_supported": list(UI_LOCALES),
        "acr_values_supported": sorted(set(acr_values)),
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "authorization_response_iss_parameter_supported": True,
        # RFC 7662 §4 / RFC 7009 §2 endpoints, with the token endpoint's client auth
        # (RFC 8414 §2).
        "introspection_endpoint": endpoint(issuer, "/introspect"),
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint": endpoint(issuer, "/revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        # RP-Initiated Logout 1.0 §2.1; Back-Channel Logout 1.0 §2.1 (`sid` always sent)
        "end_session_endpoint": endpoint(issuer, "/logout"),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
    }
    if device_authorization:  # RFC 8628 §4
        document["device_authorization_endpoint"] = endpoint(issuer, "/device_authorization")
    if registration:
        document["registration_endpoint"] = endpoint(issuer, "/register")  # RFC 7591 §3
    if assertion_algs:
        for name in ("token", "introspection", "revocation"):
            document[f"{name}_endpoint_auth_signing_alg_values_supported"] = assertion_algs
    return document
