"""The platform's own login for Mainland residents, played by the persona forms of the
login page: Sign in ends at the tif client's redirect_uri with a code, Cancel with
`error=access_denied` (assumed: what the real platform sends then was never seen).

The real login (password, face recognition, 粤省事 QR) is outside the mock: a persona
stands for a resident who passed it, at their account's own level.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mock_idps.guangdong.forms import Params, first, form_or_empty
from mock_idps.guangdong.sessions import LOGIN_COOKIE
from mock_idps.guangdong.state import GuangdongPlatform
from mock_idps.guangdong.web import (
    locale_of,
    platform_login_token_valid,
    platform_of,
    redirect,
    signed_in,
)

log = logging.getLogger("mock_idps.guangdong")


@dataclass(frozen=True, slots=True)
class LoginOutcome:
    """What a persona form leads to; exactly one field is set."""

    cancelled_to: str | None = None
    """Where the browser goes with `error=access_denied`."""
    session_id: str | None = None
    """The new session; the tif request still waits under `resume` for its code."""
    failure: str | None = None
    """Why neither (`expired`, `failed`): a page, never a redirect."""


def decide(platform: GuangdongPlatform, form: Params, browser: str) -> LoginOutcome:
    resume = first(form, "resume") or ""
    presented = first(form, "csrf_token") or ""
    if not resume or not platform_login_token_valid(platform, resume, browser, presented):
        return LoginOutcome(failure="expired")
    request = platform.waiting_request(resume, "platform")
    if request is None:
        return LoginOutcome(failure="expired")
    action = first(form, "action")
    account = platform.accounts.mainland_resident(first(form, "persona") or "")
    if action == "cancel":
        platform.portal_requests.delete(resume)
        log.info("platform login cancelled client=%s", request.client_id)
        return LoginOutcome(cancelled_to=platform.portal_denial(request))
    if action != "sign_in" or account is None:
        platform.portal_requests.delete(resume)
        return LoginOutcome(failure="failed")
    return LoginOutcome(session_id=platform.sign_in_with_platform(account))


def _attempt_over(request: Request, kind: str) -> Response:
    # No "try again" link: only the tif client can start a new sign-in.
    return platform_of(request).pages.error(
        request,
        locale=locale_of(request),
        title_key="error.title",
        heading_key="error.heading",
        message_key=f"error.{kind}",
    )


async def platform_login(request: Request) -> Response:
    form = await form_or_empty(request)
    outcome = decide(platform_of(request), form, request.cookies.get(LOGIN_COOKIE, ""))
    if outcome.cancelled_to is not None:
        return redirect(outcome.cancelled_to)
    if outcome.session_id is not None:
        return signed_in(request, outcome.session_id, first(form, "resume"))
    return _attempt_over(request, outcome.failure or "failed")


def platform_login_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/login/platform", platform_login, methods=["POST"])
    return router
