"""Wire constants of the Guangdong platform's tif OAuth2 dialect: paths, the `userobj`
field names, the error shapes, and what each error means for the bridge.

The paths and parameters are those every public integration uses. The error *numbers*
(`error_code`, `errcode`) are not public: the ones below are what the mock platform
sends, except `errcode` -1 ("system busy", a convention of the same family of APIs).
Anything unrecognised is still classified by its OAuth `error` name or its HTTP status.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from bridge.errors import UpstreamFailure

AUTHORIZE = "/tif/sso/connect/page/oauth2/authorize"
ACCESS_TOKEN = "/tif/sso/connect/page/oauth2/access_token"  # noqa: S105 - a path
TOKENINFO = "/tif/sso/connect/page/oauth2/tokeninfo"
LOGOUT = "/_tif_sso_logout_/"
"""The platform's browser logout; it returns the browser to `redirect_uri`
(docs/protocols.md §2.2)."""
SCOPE = "all"
SERVICE = "initService"
"""OpenAM's authentication-chain parameter, which the platform requires."""

MAX_RESPONSE_BYTES = 64 * 1024
"""A token answer is ~100 bytes and a `userobj` ~1 KB; anything far larger is not one."""

USEROBJ_FIELDS = frozenset(
    {
        "useridcode",
        "uid",
        "cn",
        "usertype",
        "idcardtype",
        "idcardnumber",
        "sex",
        "telephonenumber",
        "mail",
        "isreal",
        "realtype",
        "createtime",
        "creditable_level_of_account",
        "creditable_level_of_account_way",
        "extproperties",
    }
)
"""What the connector takes from `userobj`; anything else there (`tokenid`, the
platform's own session token, among others) is dropped."""

TOKEN_FIELDS = frozenset({"usertype", "isreal", "creditable_level_of_account"})
"""Returned whatever the release policy asks for: what kind of account it is and how
sure the platform is of the person, like iAM Smart's `userType`."""

# OAuth `error` names at access_token and in the callback.
_ERRORS: Mapping[str, UpstreamFailure] = {
    "invalid_grant": UpstreamFailure.CODE_EXPIRED,
    "invalid_client": UpstreamFailure.REFUSED,
    "unauthorized_client": UpstreamFailure.REFUSED,
    "invalid_request": UpstreamFailure.REFUSED,
    "unsupported_grant_type": UpstreamFailure.REFUSED,
    "unsupported_response_type": UpstreamFailure.REFUSED,
    "invalid_scope": UpstreamFailure.REFUSED,
    "access_denied": UpstreamFailure.CANCELLED,
    "server_error": UpstreamFailure.UNAVAILABLE,
    "temporarily_unavailable": UpstreamFailure.UNAVAILABLE,
}

# `error_code` at access_token, read when the answer has no OAuth `error` (the older
# deployment's shape) and to tell a misaddressed code from a spent one.
_ERROR_CODES: Mapping[str, UpstreamFailure] = {
    "40001": UpstreamFailure.REFUSED,
    "40002": UpstreamFailure.REFUSED,
    "40003": UpstreamFailure.CODE_EXPIRED,
    "40004": UpstreamFailure.REFUSED,
    "40005": UpstreamFailure.REFUSED,
    "40006": UpstreamFailure.REFUSED,  # a live code, but not for this client/redirect_uri
}

# `errcode` at tokeninfo.
_ERRCODES: Mapping[str, UpstreamFailure] = {
    "40014": UpstreamFailure.REFUSED,  # the token is not valid
    "42001": UpstreamFailure.CODE_EXPIRED,  # the token expired: the sign-in took too long
    "-1": UpstreamFailure.UNAVAILABLE,
}

_WIRE_CODE = re.compile(r"-?[A-Za-z0-9_.]{1,40}")


def wire_code(value: object) -> str | None:
    """An error name or number fit for a log line, or None when absent; anything else
    the platform put there is not repeated."""
    if value is None:
        return None
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return text if _WIRE_CODE.fullmatch(text) else "malformed"


def token_failure(error: str | None, error_code: str | None) -> UpstreamFailure:
    """What a refused access_token request means; `error_code` 40006 (a live code
    presented by the wrong client or with the wrong redirect_uri) is configuration,
    not a code to sign in again for."""
    by_code = _ERROR_CODES.get(error_code or "")
    if by_code is not None and (error is None or error_code == "40006"):
        return by_code
    return _ERRORS.get(error or "", UpstreamFailure.REFUSED)


def callback_failure(error: str | None) -> UpstreamFailure:
    """An `error` in the authorization response; an unknown one cannot be interpreted."""
    return _ERRORS.get(error or "", UpstreamFailure.PROTOCOL)


def tokeninfo_failure(errcode: str | None) -> UpstreamFailure:
    return _ERRCODES.get(errcode or "", UpstreamFailure.REFUSED)


def is_success_errcode(value: object) -> bool:
    """tokeninfo's `errcode`: 0 (or "0") is success; the platform's own DTO has no
    `errcode` at all, so an absent one is success too."""
    return value is None or value == 0 or value == "0"


def extproperties_dict(value: object) -> dict[str, str] | None:
    """`["origin=gdbs", "area=guangzhou", "legal_code=-1"]` → `{"origin": "gdbs",
    "area": "guangzhou"}`: values of -1 (unknown) are dropped, an entry without `=` is
    skipped, a key given twice keeps its first value. None when `value` is no list."""
    if not isinstance(value, list):
        return None
    properties: dict[str, str] = {}
    for entry in value:
        if not isinstance(entry, str) or "=" not in entry:
            continue
        key, _, item = entry.partition("=")
        if key and item != "-1":
            properties.setdefault(key, item)
    return properties
