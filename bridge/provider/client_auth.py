"""Client authentication at the token endpoint (RFC 6749 §2.3.1):
client_secret_basic and client_secret_post, exactly one per request.

Secrets are compared as SHA-256 digests with `hmac.compare_digest`; an unknown client
costs the same comparison as a known one, so timing tells nothing about which exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import unquote_plus

from bridge.errors import InvalidClientError, InvalidRequestError
from bridge.provider.clients import Client, ClientRegistry
from bridge.wire import AUTH_CLIENT_SECRET_BASIC, AUTH_CLIENT_SECRET_POST

BASIC_CHALLENGE = 'Basic realm="gba-bridge", charset="UTF-8"'
_UNKNOWN_CLIENT_DIGEST = "0" * 64


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _parse_basic(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise InvalidClientError(
            "Malformed Basic credentials", www_authenticate=BASIC_CHALLENGE
        ) from None
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise InvalidClientError("Malformed Basic credentials", www_authenticate=BASIC_CHALLENGE)
    # §2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)


def authenticate_client(
    authorization: str | None, form: Mapping[str, str], clients: ClientRegistry
) -> Client:
    uses_basic = authorization is not None and authorization[:6].lower() == "basic "
    challenge = BASIC_CHALLENGE if uses_basic or "client_secret" not in form else None
    if uses_basic and "client_secret" in form:
        raise InvalidRequestError("Use one client authentication method, not two (RFC 6749 2.3)")
    if uses_basic:
        assert authorization is not None  # noqa: S101 - implied by uses_basic
        client_id, secret = _parse_basic(authorization)
        method = AUTH_CLIENT_SECRET_BASIC
        if form.get("client_id", client_id) != client_id:
            raise InvalidRequestError("client_id in the body differs from the authenticated one")
    elif "client_secret" in form:
        client_id, secret = form.get("client_id", ""), form["client_secret"]
        method = AUTH_CLIENT_SECRET_POST
    else:
        raise InvalidClientError(
            "Client authentication is required", www_authenticate=BASIC_CHALLENGE
        )
    client = clients.get(client_id)
    expected = client.client_secret_sha256 if client else _UNKNOWN_CLIENT_DIGEST
    matches = hmac.compare_digest(secret_digest(secret), expected)
    if client is None or not matches or method not in client.token_endpoint_auth_methods:
        raise InvalidClientError(
            detail=f"authentication failed for client_id {client_id[:64]!r} via {method}",
            www_authenticate=challenge,
        )
    return client
