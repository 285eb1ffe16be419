"""What the client hears when the upstream sign-in did not produce an identity
(RFC 6749 §4.1.2.1): the resident's own choices are `access_denied`, an unreachable
identity provider is `temporarily_unavailable`, anything else `server_error`. The
description is fixed text naming the identity provider; the upstream's specifics go to
the log only (bridge.signin.callbacks)."""

from __future__ import annotations

from bridge.errors import (
    AccessDeniedError,
    OAuthError,
    ServerError,
    TemporarilyUnavailableError,
    UpstreamError,
    UpstreamFailure,
    quoted,
)

_ANSWERS: dict[UpstreamFailure, tuple[type[OAuthError], str]] = {
    UpstreamFailure.CANCELLED: (AccessDeniedError, "The resident cancelled sign-in at {idp}"),
    UpstreamFailure.REJECTED: (AccessDeniedError, "The resident declined the request at {idp}"),
    UpstreamFailure.TIMED_OUT: (AccessDeniedError, "Sign-in at {idp} timed out"),
    UpstreamFailure.CODE_EXPIRED: (
        AccessDeniedError,
        "The {idp} sign-in expired before it could be completed",
    ),
    UpstreamFailure.UNAVAILABLE: (
        TemporarilyUnavailableError,
        "{idp} is unavailable, please try again later",
    ),
    UpstreamFailure.REFUSED: (ServerError, "Sign-in through {idp} failed"),
    UpstreamFailure.PROTOCOL: (ServerError, "Sign-in through {idp} failed"),
}


def client_error(failure: UpstreamError, upstream_name: str) -> OAuthError:
    """The error for the client; `upstream_name` is the identity provider's English
    display name (error descriptions are ASCII, RFC 6749 §5.2)."""
    error_class, description = _ANSWERS[failure.failure]
    return error_class(
        description.format(idp=quoted(upstream_name, limit=80)),
        detail=f"{failure.failure.value} ({failure.upstream_code}): {failure.detail}",
    )
