"""Reading a bearer token from a request (RFC 6750 §2.1, §2.2) and the challenge that
goes with a failure (§3)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qsl

from bridge.errors import InvalidRequestError, InvalidTokenError, OAuthError

REALM = "gba-bridge"
# §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_B64TOKEN = re.compile(r"^[A-Za-z0-9\-._~+/]+=*$")


class MissingTokenError(InvalidTokenError):
    """No token at all: §3.1 says to answer without an error code."""

    def body(self) -> dict[str, str]:
        return {}


def challenge(error: OAuthError | None = None) -> str:
    if error is None:
        return f'Bearer realm="{REALM}"'
    text = f'Bearer realm="{REALM}", error="{error.error}"'
    if error.description:
        text += f', error_description="{error.description}"'
    return text


def bearer_token(
    authorization: str | None, form: Mapping[str, str] | None = None, *, query: bytes = b""
) -> str:
    if query and any(name == "access_token" for name, _ in parse_qsl(query.decode("latin-1"))):
        # §2.3's URI query method leaks the token into logs and Referer headers; the bridge
        # does not support it, and says so rather than answering as if no token came.
        refused = InvalidRequestError(
            "Send the access token in the Authorization header, not the query (RFC 6750 2.3)"
        )
        refused.www_authenticate = challenge(refused)
        raise refused
    from_header = None
    if authorization is not None:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not _B64TOKEN.match(value.strip()):
            raise InvalidRequestError("Malformed Authorization header")
        from_header = value.strip()
    from_body = form.get("access_token") if form else None
    if from_header and from_body:
        raise InvalidRequestError("Send the access token one way only (RFC 6750 2)")
    token = from_header or from_body
    if not token:
        # §3.1: a request with no authentication information gets no error code.
        raise MissingTokenError("", www_authenticate=challenge())
    return token
