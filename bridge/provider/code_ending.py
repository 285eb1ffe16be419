"""The code-redirect ending (RFC 6749 §4.1.2): allowed, an authorization code for the
released claims goes back to the client's verified redirect URI with `state` and
RFC 9207 `iss`; refused, the error goes back the same way (§4.1.2.1)."""

from __future__ import annotations

from bridge.browser import Allowed, Redirect
from bridge.errors import OAuthError
from bridge.model import CodeEnding, Ending, PendingConsent
from bridge.provider.codes import CodeIssuer


class CodeRedirect:
    kind = "code"

    def __init__(self, codes: CodeIssuer) -> None:
        self._codes = codes

    async def allow(self, pending: PendingConsent) -> Allowed:
        issued = await self._codes.issue(pending)
        return Allowed(Redirect(issued.location), issued.grant_id)

    async def refuse(self, ending: Ending, error: OAuthError) -> OAuthError:
        if not isinstance(ending, CodeEnding):
            raise TypeError("a code redirect refuses only code-redirect requests")
        error.redirect_uri = ending.redirect_uri
        error.state = ending.state
        return error
