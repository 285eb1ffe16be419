"""Errors of the bridge.

    Exception
    ├── OAuthError                      an answer to a client, in the protocol's own form
    │   ├── InvalidRequestError         RFC 6749 §4.1.2.1, §5.2
    │   ├── InvalidClientError          RFC 6749 §5.2 (401 with WWW-Authenticate for Basic)
    │   ├── InvalidGrantError           RFC 6749 §5.2
    │   ├── UnauthorizedClientError     RFC 6749 §4.1.2.1, §5.2
    │   ├── UnsupportedGrantTypeError   RFC 6749 §5.2
    │   ├── UnsupportedResponseTypeError RFC 6749 §4.1.2.1
    │   ├── InvalidScopeError           RFC 6749 §4.1.2.1, §5.2
    │   ├── AccessDeniedError           RFC 6749 §4.1.2.1
    │   ├── ServerError                 RFC 6749 §4.1.2.1
    │   ├── TemporarilyUnavailableError RFC 6749 §4.1.2.1
    │   ├── InvalidTargetError          RFC 8707 §2, RFC 8693 §2.2.2
    │   ├── InvalidTokenError           RFC 6750 §3.1 (401)
    │   ├── InsufficientScopeError      RFC 6750 §3.1 (403)
    │   ├── LoginRequiredError          OIDC Core §3.1.2.6
    │   ├── UnmetAuthenticationRequirementsError  OIDC Unmet Authentication Requirements 1.0
    │   ├── RequestNotSupportedError    OIDC Core §3.1.2.6
    │   ├── RequestUriNotSupportedError OIDC Core §3.1.2.6
    │   ├── InvalidClientMetadataError, InvalidRegisteredRedirectUriError,
    │   │   InvalidSoftwareStatementError, UnapprovedSoftwareStatementError  RFC 7591 §3.2.2
    │   ├── RequestTooLargeError        invalid_request with status 413
    │   └── InvalidRedirectUriError     never redirected: rendered as a page (RFC 6749 §4.1.2.1)
    └── BridgeError                     our own failures; never shown verbatim to anyone
        ├── ConfigError                 every configuration problem found, at once
        ├── UpstreamError               an identity provider failed or the resident stopped
        ├── SigningKeyError
        └── StoreError
            └── StoreUnavailable        the store did not answer: 503 + Retry-After

An `OAuthError` has a public `description` (ASCII, as RFC 6749 §5.2 requires) and a
private `detail` that only reaches the log. `redirect_uri` is set only after it has been
checked against the client's registration; until then an error is never redirected.
"""

from __future__ import annotations

from enum import StrEnum

# RFC 6749 §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E.
_DESCRIPTION_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - {'"', "\\"}


def quoted(value: str, limit: int = 40) -> str:
    """Part of a client's input made safe to echo in an error_description: cut to
    `limit` characters, anything RFC 6749 §5.2 forbids replaced by `?`."""
    return "".join(c if c in _DESCRIPTION_CHARS else "?" for c in value[:limit])


class OAuthError(Exception):
    error: str = "invalid_request"
    status_code: int = 400
    default_description: str = ""
    retry_after: int | None = None
    """Seconds for a `Retry-After` header (a 503 for a dependency that is down)."""

    def __init__(
        self,
        description: str | None = None,
        *,
        detail: str | None = None,
        state: str | None = None,
        redirect_uri: str | None = None,
        www_authenticate: str | None = None,
        message_key: str | None = None,
    ) -> None:
        text = self.default_description if description is None else description
        if not set(text) <= _DESCRIPTION_CHARS:
            # A description that carries a client's input unquoted must not turn its
            # error into a 500 (or echo raw bytes): the class of bug, closed here.
            text = quoted(text, limit=len(text))
        super().__init__(text or self.error)
        self.description = text
        self.detail = detail
        self.state = state
        self.redirect_uri = redirect_uri
        self.www_authenticate = www_authenticate
        self.message_key = message_key
        """Which localized explanation an error page shows the resident (see locales/)."""

    def body(self) -> dict[str, str]:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body


class InvalidRequestError(OAuthError):
    """The request is missing a required parameter, includes an invalid parameter value,
    includes a parameter more than once, or is otherwise malformed."""

    error = "invalid_request"


class InvalidClientError(OAuthError):
    """Client authentication failed (e.g., unknown client, no client authentication
    included, or unsupported authentication method)."""

    error = "invalid_client"
    status_code = 401
    default_description = "Client authentication failed"


class InvalidGrantError(OAuthError):
    """The provided authorization grant (e.g., authorization code) or refresh token is
    invalid, expired, revoked, does not match the redirection URI used in the
    authorization request, or was issued to another client."""

    error = "invalid_grant"


class UnauthorizedClientError(OAuthError):
    """The authenticated client is not authorized to use this authorization grant type."""

    error = "unauthorized_client"


class UnsupportedGrantTypeError(OAuthError):
    """The authorization grant type is not supported by the authorization server."""

    error = "unsupported_grant_type"


class UnsupportedResponseTypeError(OAuthError):
    """The authorization server does not support obtaining an authorization code using
    this method."""

    error = "unsupported_response_type"


class InvalidScopeError(OAuthError):
    """The requested scope is invalid, unknown, malformed, or exceeds the scope granted."""

    error = "invalid_scope"


class AccessDeniedError(OAuthError):
    """The resource owner or authorization server denied the request."""

    error = "access_denied"
    status_code = 403


class ServerError(OAuthError):
    """The authorization server encountered an unexpected condition."""

    error = "server_error"
    status_code = 500
    default_description = "The server could not complete the request"


class TemporarilyUnavailableError(OAuthError):
    """The authorization server is currently unable to handle the request due to a
    temporary overloading or maintenance of the server."""

    error = "temporarily_unavailable"
    status_code = 503


class InvalidTargetError(OAuthError):
    """The requested resource or audience is invalid, unknown, or not allowed."""

    error = "invalid_target"


class InvalidTokenError(OAuthError):
    """The access token provided is expired, revoked, malformed, or invalid."""

    error = "invalid_token"
    status_code = 401


class InsufficientScopeError(OAuthError):
    """The request requires higher privileges than provided by the access token."""

    error = "insufficient_scope"
    status_code = 403


class LoginRequiredError(OAuthError):
    """The Authorization Server requires End-User authentication (prompt=none cannot be
    honoured: every sign-in goes to the upstream identity provider)."""

    error = "login_required"


class UnmetAuthenticationRequirementsError(OAuthError):
    """The Authorization Server is unable to meet the requirements of the Relying Party
    for the authentication of the End-User (here: the assurance level it requires)."""

    error = "unmet_authentication_requirements"


class RequestNotSupportedError(OAuthError):
    """The OP does not support use of the request parameter."""

    error = "request_not_supported"


class RequestUriNotSupportedError(OAuthError):
    """The OP does not support use of the request_uri parameter."""

    error = "request_uri_not_supported"


class InvalidClientMetadataError(OAuthError):
    """RFC 7591 §3.2.2: a client metadata field is invalid or its value not permitted."""

    error = "invalid_client_metadata"


class InvalidRegisteredRedirectUriError(OAuthError):
    """RFC 7591 §3.2.2: a redirect URI in a registration request is invalid."""

    error = "invalid_redirect_uri"


class InvalidSoftwareStatementError(OAuthError):
    """RFC 7591 §3.2.2: the software statement is not a valid statement."""

    error = "invalid_software_statement"


class UnapprovedSoftwareStatementError(OAuthError):
    """RFC 7591 §3.2.2: the software statement is not signed by a registrar we trust."""

    error = "unapproved_software_statement"


class RequestTooLargeError(InvalidRequestError):
    """A body over what the endpoint reads (RFC 9110 §15.5.14, 413): still
    `invalid_request` in the body, as RFC 6749 §5.2 has no code of its own for it."""

    status_code = 413
    default_description = "The request body is too large"


class InvalidRedirectUriError(InvalidRequestError):
    """The client is unknown or the redirect_uri is not registered for it: the resident
    gets an error page and is never redirected (RFC 6749 §4.1.2.1, open-redirect guard)."""


class BridgeError(Exception):
    """A failure of the bridge or of something it depends on."""


class ConfigError(BridgeError):
    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listing = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{listing}")


class UpstreamFailure(StrEnum):
    """Why an upstream sign-in did not produce an identity."""

    CANCELLED = "cancelled"
    """The resident cancelled at the identity provider."""
    REJECTED = "rejected"
    """The resident declined the request at the identity provider."""
    TIMED_OUT = "timed_out"
    """The resident did not answer in time."""
    CODE_EXPIRED = "code_expired"
    """The upstream authorization code expired or was already used."""
    UNAVAILABLE = "unavailable"
    """The identity provider could not be reached or answered with a server error."""
    REFUSED = "refused"
    """The identity provider refused the bridge's request (configuration, signature, scope)."""
    PROTOCOL = "protocol"
    """The identity provider answered something the bridge cannot use."""


class UpstreamError(BridgeError):
    def __init__(
        self, failure: UpstreamFailure, detail: str, *, upstream_code: str | None = None
    ) -> None:
        super().__init__(f"{failure.value}: {detail}")
        self.failure = failure
        self.detail = detail
        self.upstream_code = upstream_code


class SigningKeyError(BridgeError):
    pass


class StoreError(BridgeError):
    pass


class StoreUnavailable(StoreError):
    """A store could not be reached or did not answer in time (a failover, a restart, a
    lost network): answered as 503 / `temporarily_unavailable` with `Retry-After`, never
    as a 500. Raised at the store boundary from the drivers' connection and timeout
    errors, so nothing above it needs to know which driver it was."""

    retry_after: int = 5
    """Seconds a client should wait: about one Sentinel failover (README, Redis)."""
