"""What the client hears when the upstream sign-in did not produce an identity
(RFC 6749 §4.1.2.1): the resident's own choices are `access_denied`, an unreachable
identity provider is `temporarily_unavailable`, anything else `server_error`. The
description is fixed text; the upstream's specifics go to the log only."""

from __future__ import annotations

import structlog

from bridge.errors import (
    AccessDeniedError,
    OAuthError,
    ServerError,
    TemporarilyUnavailableError,
    UpstreamError,
    UpstreamFailure,
)
from bridge.model import AuthorizationRequest

log = structlog.get_logger(__name__)

_ANSWERS: dict[UpstreamFailure, tuple[type[OAuthError], str]] = {
    UpstreamFailure.CANCELLED: (AccessDeniedError, "The resident cancelled sign-in at iAM Smart"),
    UpstreamFailure.REJECTED: (AccessDeniedError, "The resident declined the request at iAM Smart"),
    UpstreamFailure.TIMED_OUT: (AccessDeniedError, "Sign-in at iAM Smart timed out"),
    UpstreamFailure.CODE_EXPIRED: (
        AccessDeniedError,
        "The iAM Smart sign-in expired before it could be completed",
    ),
    UpstreamFailure.UNAVAILABLE: (
        TemporarilyUnavailableError,
        "iAM Smart is unavailable, please try again later",
    ),
    UpstreamFailure.REFUSED: (ServerError, "Sign-in through iAM Smart failed"),
    UpstreamFailure.PROTOCOL: (ServerError, "Sign-in through iAM Smart failed"),
}


def client_error(failure: UpstreamError, request: AuthorizationRequest) -> OAuthError:
    error_class, description = _ANSWERS[failure.failure]
    error = error_class(
        description,
        detail=f"{failure.failure.value} ({failure.upstream_code}): {failure.detail}",
        redirect_uri=request.redirect_uri,
        state=request.state,
    )
    level = "warning" if error_class is AccessDeniedError else "error"
    getattr(log, level)(
        "signin.upstream_failed",
        client_id=request.client_id,
        failure=failure.failure.value,
        upstream_code=failure.upstream_code,
        detail=failure.detail,
    )
    return error
