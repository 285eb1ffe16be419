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

from mock_idps.guangdong.config import PortalClient
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
    csrf_valid,
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


def browser_id(request: Request) -> str:
    """One id per browser, kept across attempts, so two tabs signing in do not clash."""
    browser = request.cookies.get(LOGIN_COOKIE, "")
    return browser if _BROWSER_ID.fullmatch(browser) else new_id()


def remember_browser(response: Response, platform: GuangdongPlatform, browser: str) -> None:
    lifetime = platform.config.lifetimes.login_flow
    set_cookie(
        response, LOGIN_COOKIE, browser, max_age=lifetime, secure=platform.config.secure_cookies
    )


def login_page(
    request: Request, *, resume: str | None = None, portal: PortalClient | None = None
) -> Response:
    """The sign-in choices: iAM Smart, and (for a tif client that offers it) the Mainland
    personas standing in for the platform's own login."""
    platform = platform_of(request)
    methods = portal.login_methods if portal else ("iamsmart",)
    browser = browser_id(request)
    response = platform.pages.render(
        request,
        "login.html",
        locale=locale_of(request),
        page="login",
        portal_name=portal.name if portal else "",
        iamsmart_url=retry_url(resume) if "iamsmart" in methods else None,
        personas=platform.accounts.mainland_residents if resume and "platform" in methods else (),
        resume=resume or "",
        csrf_token=platform_login_token(platform, resume or "", browser),
    )
    remember_browser(response, platform, browser)
    return response


_PLATFORM_LOGIN = "platform-login"


def platform_login_token(platform: GuangdongPlatform, resume: str, browser: str) -> str:
    """CSRF token of the persona forms: tied to the portal request and to this browser."""
    return csrf_token(platform.csrf_secret, _PLATFORM_LOGIN, f"{resume}:{browser}")


def platform_login_token_valid(
    platform: GuangdongPlatform, resume: str, browser: str, presented: str
) -> bool:
    return csrf_valid(platform.csrf_secret, _PLATFORM_LOGIN, f"{resume}:{browser}", presented)


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
        document_code=platform.config.document_codes.code(account.document),
        session=session,
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
    pending = platform.portal_requests.get(resume) if resume else None
    if pending is None or "iamsmart" not in platform.login_methods(pending):
        resume = None  # expired, or a client that does not offer iAM Smart: plain sign-in
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
    browser = browser_id(request)
    first_tag = match_locale(ui_locales.split()[0])
    flow = LoginFlow(start.state, start.nonce, start.code_verifier, browser, resume, first_tag)
    platform.logins.put(start.state, flow, platform.config.lifetimes.login_flow)
    response = RedirectResponse(start.url, status_code=302, headers={"Cache-Control": "no-store"})
    remember_browser(response, platform, browser)
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
    account = platform.accounts.by_useridcode(bound) if bound else None
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
