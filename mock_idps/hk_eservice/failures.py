"""Why a sign-in (or a form) did not complete, as the resident is told it.

The bridge's error codes (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6) and this service's
own refusals map to a few kinds, each a message in the resident's language and an HTTP
status; the bridge's `error` and `error_description` are shown too, as technical
details, because they are fixed English text meant for people.
"""

from __future__ import annotations

import re

from mock_idps._oidc_rp import SignInError

STATUS = {
    "declined": 200,
    "insufficient_assurance": 403,
    "unavailable": 503,
    "expired": 400,
    "failed": 400,
    "not_found": 404,
    "form_expired": 400,
}

# OpenID Connect Core Unmet Authentication Requirements 1.0 §2: the OP could not
# authenticate the resident at the level (`acr`) the service needs.
_ASSURANCE_ERRORS = frozenset({"unmet_authentication_requirements"})
_DESCRIPTION_LENGTH = 200
# RFC 6749 §4.1.2.1: error_description is printable ASCII without `"` and `\`.
_NOT_DESCRIPTION = re.compile(r"[^\x20\x21\x23-\x5b\x5d-\x7e]")


class SignInFailed(Exception):
    """`locale` is the language the sign-in was started in, when the flow is known."""

    def __init__(
        self,
        kind: str,
        *,
        locale: str | None = None,
        idp_hint: str | None = None,
        error: str | None = None,
        description: str | None = None,
    ) -> None:
        super().__init__(kind)
        self.kind = kind
        self.locale = locale
        self.idp_hint = idp_hint
        self.error = error
        self.description = description

    @property
    def status(self) -> int:
        return STATUS[self.kind]

    @property
    def message_key(self) -> str:
        if self.kind == "insufficient_assurance" and self.idp_hint == "guangdong":
            return "error.insufficient_assurance.guangdong"
        return f"error.{self.kind}"


def description_of(raw: str | None) -> str | None:
    if not raw:
        return None
    return _NOT_DESCRIPTION.sub("", raw)[:_DESCRIPTION_LENGTH] or None


def from_rp(exc: SignInError, description: str | None) -> tuple[str, str | None, str | None]:
    """The kind, bridge error and description of a failure the relying party reported."""
    if exc.error is None:
        return exc.kind, None, None
    kind = "insufficient_assurance" if exc.error in _ASSURANCE_ERRORS else exc.kind
    return kind, exc.error, description_of(description)
