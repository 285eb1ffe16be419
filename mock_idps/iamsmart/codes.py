"""iAM Smart business codes (docs/protocols.md §1.12) and the exception that carries them.

Business failures travel as HTTP 200 with the D-code in the envelope (§1.10, §1.12);
`IamSmartError` is how a check deep in a handler reaches that envelope.
"""

from __future__ import annotations

SUCCESS = "D00000"
UNKNOWN_ERROR = "D20000"
PARAMETER_MISSING = "D20001"
PARAMETER_EMPTY = "D20002"
PARAMETER_INVALID = "D20003"
REPEATED_REQUEST = "D20004"
UNSUPPORTED_SIGNATURE_METHOD = "D20005"
SIGNATURE_INVALID = "D20006"
UNSUPPORTED_SOURCE = "D20007"
REDIRECT_URI_NOT_REGISTERED = "D20008"
ACCESS_TOKEN_INVALID = "D20009"  # noqa: S105 - a D-code, not a secret
OPENID_INVALID = "D20010"
INSUFFICIENT_SCOPE = "D20012"
TIMESTAMP_INVALID = "D20016"
CLIENT_UNKNOWN = "D20018"
QR_EXPIRED = "D20031"
QR_CONSUMED = "D20032"
KEK_INVALID = "D30001"
CEK_INVALID = "D30002"
DECRYPTION_ERROR = "D30004"
USER_CANCELLED = "D40000"
USER_REJECTED = "D40001"
AUTH_TIMEOUT = "D40003"
AUTH_CODE_INVALID = "D40004"

MESSAGES: dict[str, str] = {
    SUCCESS: "SUCCESS",
    UNKNOWN_ERROR: "unknown error",
    PARAMETER_MISSING: "parameter missing",
    PARAMETER_EMPTY: "parameter empty",
    PARAMETER_INVALID: "parameter invalid",
    REPEATED_REQUEST: "repeated request",
    UNSUPPORTED_SIGNATURE_METHOD: "unsupported signature method",
    SIGNATURE_INVALID: "signature verification failed",
    UNSUPPORTED_SOURCE: "unsupported source",
    REDIRECT_URI_NOT_REGISTERED: "redirectURI not registered",
    ACCESS_TOKEN_INVALID: "accessToken not exist or expired",
    OPENID_INVALID: "openID not exist",
    INSUFFICIENT_SCOPE: "insufficient scope",
    TIMESTAMP_INVALID: "API timeout",
    CLIENT_UNKNOWN: "clientID does not exist",
    QR_EXPIRED: "QR code missing or expired",
    QR_CONSUMED: "QR code already consumed",
    KEK_INVALID: "KEK missing or expired",
    CEK_INVALID: "CEK missing or expired",
    DECRYPTION_ERROR: "decryption error",
    USER_CANCELLED: "user cancelled",
    USER_REJECTED: "user rejected",
    AUTH_TIMEOUT: "authentication timeout",
    AUTH_CODE_INVALID: "authCode not exist or expired",
}


class IamSmartError(Exception):
    """A refusal with its D-code; `parameter` names the offending input for error pages."""

    def __init__(self, code: str, parameter: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.message = MESSAGES.get(code, "error")
        self.parameter = parameter
