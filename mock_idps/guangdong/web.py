"""The resident's pages: sign in with iAM Smart (through the bridge), profile, logout.

DESIGN §2.1 steps 1 and 8. Routes parse, call the platform, and render; every
failure becomes a page in the resident's language, never a 500.
"""

from __future__ import annotations

import hmac
import logging
import re

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from mock_idps.guangdong.forms import clear_cookie, set_cookie
from mock_idps.guangdong.i18n import match_locale, negotiate
from mock_idps.guangdong.oidc_client import BridgeSignInError
from mock_idps.guangdong.sessions import (
    BIND_COOKIE,
    LANG_COOKIE,
    LOGIN_COOKIE,
    SESSION_COOKIE,
    LoginFlow,
    csrf_token,
    new_id,
)
from mock_idps.guangdong.state import GuangdongPlatform

log = logging.getLogger("mock_idps.guangdong")

_TAG = r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*"
_UI_LOCALES = re.compile(rf"{_TAG}( {_TAG}){{0,4}}")
_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_STATUS = {"declined": 200, "expired": 400, "failed": 400, "unavailable": 503}


def platform_of(request: Request) -> GuangdongPlatform:
    platform: GuangdongPlatform = request.app.state.guangdong
    return platform


def locale_of(request: Request, flow: str | None = None) -> str:
    return negotiate(
        query=request.query_params.get("lang"),
        cookie=request.cookies.get(LANG_COOKIE),
        flow=flow,
        accept_language=request.headers.get("accept-language"),
    )


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers={"Cache-Control": "no-store"})


def retry_url(resume: str | None) -> str:
    return f"/login/iamsmart?resume={resume}" if resume else "/login/iamsmart"


def sign_in_failed(request: Request, kind: str, locale: str, resume: str | None = None) -> Response:
    return platform_of(request).pages.message(
        request,
        locale=locale,
        page="error",
        title_key="error.title",
        heading_key="error.heading",
        message_key=f"error.{kind}",
        error_reason=kind,
        retry_url=retry_url(resume),
        status_code=_STATUS[kind],
    )


def login_page(request: Request, *, resume: str | None = None, portal_name: str = "") -> Response:
    return platform_of(request).pages.render(
        request,
        "login.html",
        locale=locale_of(request),
        page="login",
        login_url=retry_url(resume),
        portal_name=portal_name,
    )


def _profile(request: Request) -> Response | None:
    platform = platform_of(request)
    signed_in = platform.session(request.cookies.get(SESSION_COOKIE))
    if signed_in is None:
        return None
    session, account = signed_in
    token = csrf_token(platform.csrf_secret, "session", request.cookies[SESSION_COOKIE])
    return platform.pages.render(
        request,
        "profile.html",
        locale=locale_of(request),
        page="profile",
        account=account,
        level=session.level,
        csrf_token=token,
    )


async def home(request: Request) -> Response:
    return _profile(request) or login_page(request)


async def profile(request: Request) -> Response:
    return _profile(request) or redirect("/")


async def start_login(request: Request) -> Response:
    platform = platform_of(request)
    locale = locale_of(request)
    resume = request.query_params.get("resume")
    if resume and platform.portal_requests.get(resume) is None:
        resume = None  # the portal's request expired: plain sign-in instead
    signed_in = platform.session(request.cookies.get(SESSION_COOKIE))
    if signed_in is not None:
        return redirect(platform.after_sign_in(request.cookies[SESSION_COOKIE], resume))
    ui_locales = request.query_params.get("ui_locales")
    if ui_locales is None or not _UI_LOCALES.fullmatch(ui_locales):
        ui_locales = locale
    try:
        start = await platform.bridge.start(ui_locales)
    except BridgeSignInError as exc:
        log.warning("cannot start iAM Smart sign-in: %s", exc)
        return sign_in_failed(request, exc.kind, locale, resume)
    # One id per browser, kept across attempts, so two tabs signing in do not clash.
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if not _BROWSER_ID.fullmatch(browser):
        browser = new_id()
    first_tag = match_locale(ui_locales.split()[0])
    flow = LoginFlow(start.state, start.nonce, start.code_verifier, browser, resume, first_tag)
    lifetime = platform.config.lifetimes.login_flow
    platform.logins.put(start.state, flow, lifetime)
    response = RedirectResponse(start.url, status_code=302, headers={"Cache-Control": "no-store"})
    set_cookie(
        response, LOGIN_COOKIE, browser, max_age=lifetime, secure=platform.config.secure_cookies
    )
    return response


async def oidc_callback(request: Request) -> Response:
    platform = platform_of(request)
    state = request.query_params.get("state")
    flow = platform.logins.take(state) if state else None
    browser = request.cookies.get(LOGIN_COOKIE, "")
    if flow is None or not hmac.compare_digest(flow.browser.encode(), browser.encode()):
        log.info("callback without a matching sign-in in this browser")
        return sign_in_failed(request, "expired", locale_of(request))
    locale = locale_of(request, flow.locale)
    if any(len(request.query_params.getlist(name)) > 1 for name in request.query_params):
        return sign_in_failed(request, "failed", locale, flow.resume)
    try:
        identity = await platform.bridge.complete(
            dict(request.query_params), nonce=flow.nonce, code_verifier=flow.code_verifier
        )
    except BridgeSignInError as exc:
        log.warning("iAM Smart sign-in not completed: kind=%s %s", exc.kind, exc)
        return sign_in_failed(request, exc.kind, locale, flow.resume)
    bound = platform.bindings.account_for(identity.subject)
    account = platform.accounts.by_user_id_code(bound) if bound else None
    if account is None:
        binding_id = platform.begin_binding(identity, flow.resume, flow.locale)
        response: Response = redirect("/bind")
        set_cookie(
            response,
            BIND_COOKIE,
            binding_id,
            max_age=platform.config.lifetimes.binding,
            secure=platform.config.secure_cookies,
        )
        return response
    return signed_in(
        request, platform.sign_in(account, identity.acr, identity.subject), flow.resume
    )


def signed_in(request: Request, session_id: str, resume: str | None) -> Response:
    platform = platform_of(request)
    platform.sign_out(request.cookies.get(SESSION_COOKIE))  # no session fixation
    response = redirect(platform.after_sign_in(session_id, resume))
    set_cookie(
        response,
        SESSION_COOKIE,
        session_id,
        max_age=platform.config.lifetimes.session,
        secure=platform.config.secure_cookies,
    )
    return response


async def logout(request: Request) -> Response:
    platform = platform_of(request)
    platform.sign_out(request.cookies.get(SESSION_COOKIE))
    platform.pending_bindings.delete(request.cookies.get(BIND_COOKIE, ""))
    response = platform.pages.message(
        request,
        locale=locale_of(request),
        page="signed-out",
        title_key="signed_out.title",
        heading_key="signed_out.heading",
    )
    for name in (SESSION_COOKIE, BIND_COOKIE):
        clear_cookie(response, name, secure=platform.config.secure_cookies)
    return response


def resident_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/", home, methods=["GET"])
    router.add_api_route("/profile", profile, methods=["GET"])
    router.add_api_route("/login/iamsmart", start_login, methods=["GET"])
    router.add_api_route("/oidc/callback", oidc_callback, methods=["GET"])
    router.add_api_route("/logout", logout, methods=["GET", "POST"])
    return router
