"""Redirects of the resident's browser, setting the browser-binding cookie when the
broker made a new one (login-CSRF guard, see `bridge.broker`)."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bridge.broker import Redirect
from bridge.http.deps import BROWSER_COOKIE
from bridge.settings import Settings
from bridge.wire import NO_STORE_HEADERS


def browser_redirect(result: Redirect, settings: Settings, *, status: int) -> Response:
    response = RedirectResponse(result.location, status_code=status, headers=NO_STORE_HEADERS)
    if result.browser_id is not None:
        response.set_cookie(
            BROWSER_COOKIE,
            result.browser_id,
            # one cookie serves client sign-ins and the resident's own (/consents)
            max_age=settings.flow_ttl + max(settings.consent_ttl, settings.account_session_ttl),
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
        )
    return response
