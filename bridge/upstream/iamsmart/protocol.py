"""Wire constants of iAM Smart: endpoint paths, profile field names and business codes,
and what each code means for the bridge (docs/protocols.md §1.3, §1.11, §1.12).
"""

from __future__ import annotations

from bridge.errors import UpstreamFailure

GET_QR = "/api/v1/auth/getQR"
GET_TOKEN = "/api/v1/auth/getToken"  # noqa: S105 - a path, not a secret
GET_KEY = "/api/v1/security/getKey"
REVOKE_KEY = "/api/v1/security/revokeKey"
PROFILES = "/api/v1/profiles"

PROFILE_FIELDS = frozenset({"idNo", "enName", "chName", "chNameVerified", "birthDate", "gender"})
"""Requested as `profileFields` (§1.11)."""
EME_FIELDS = frozenset(
    {
        "prefix",
        "maritalStatus",
        "homeTelNumber",
        "officeTelNumber",
        "mobileNumber",
        "emailAddress",
        "residentialAddress",
        "postalAddress",
        "educationLevel",
    }
)
"""Requested as `eMEFields` (§1.11)."""

SUCCESS = "D00000"
TIMESTAMP_OUT_OF_WINDOW = "D20016"
CEK_INVALID = "D30002"
DECRYPTION_ERROR = "D30004"
STALE_KEY_CODES = frozenset({CEK_INVALID, DECRYPTION_ERROR})
"""Codes after which a fresh content key is worth one retry (§1.9: the CEK may rotate)."""

_FAILURES: dict[str, UpstreamFailure] = {
    "D20000": UpstreamFailure.UNAVAILABLE,
    "D20001": UpstreamFailure.REJECTED,  # the sandbox sends it when the resident denies
    "D30003": UpstreamFailure.UNAVAILABLE,
    "D40000": UpstreamFailure.CANCELLED,
    "D40001": UpstreamFailure.REJECTED,
    "D40002": UpstreamFailure.REJECTED,
    "D40003": UpstreamFailure.TIMED_OUT,
    "D40004": UpstreamFailure.CODE_EXPIRED,
    "D50001": UpstreamFailure.REJECTED,
    "D50002": UpstreamFailure.UNAVAILABLE,
    "D50003": UpstreamFailure.TIMED_OUT,
}

_DESCRIPTIONS: dict[str, str] = {
    "D20000": "unknown error",
    "D20001": "parameter missing or request denied",
    "D20002": "parameter empty",
    "D20003": "parameter invalid",
    "D20004": "repeated request (nonce)",
    "D20005": "unsupported signature method",
    "D20006": "signature verification failed",
    "D20007": "unsupported source",
    "D20008": "redirectURI not registered",
    "D20009": "accessToken not exist or expired",
    "D20010": "openID not exist",
    "D20012": "insufficient scope",
    "D20016": "timestamp out of window",
    "D20018": "clientID does not exist",
    "D30001": "KEK missing or expired",
    "D30002": "CEK missing or expired",
    "D30003": "encryption error",
    "D30004": "decryption error",
    "D40000": "resident cancelled",
    "D40001": "resident rejected",
    "D40002": "authentication failed",
    "D40003": "authentication timed out",
    "D40004": "authCode not exist or expired",
    "D50001": "profile request rejected",
    "D50002": "profile request failed",
    "D50003": "profile request timed out",
}


def failure_for(code: str) -> UpstreamFailure:
    """What a non-success D-code means for the resident's error message.

    D2xxxx and D30001 are refusals of the bridge's own request (configuration, signing,
    scope); stale-key codes that survive a retry mean the two sides cannot agree on
    content encryption; anything unknown is a protocol failure.
    """
    if code in _FAILURES:
        return _FAILURES[code]
    if code.startswith("D2") or code == "D30001":
        return UpstreamFailure.REFUSED
    return UpstreamFailure.PROTOCOL


def describe(code: str) -> str:
    """A fixed text for a D-code: the upstream's own `message` is never repeated in logs."""
    return f"{code} {_DESCRIPTIONS.get(code, 'unrecognised code')}"
