"""The resident's pages: sign in with iAM Smart (through the bridge), profile, logout.

The first and last steps of a Hong Kong resident's sign-in (docs/architecture.md).
Routes parse, call the platform, and render; every failure becomes a page in the
resident's language, never a 500.
"""

from __future__ import annotations

import logging
import re

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mock_idps.guangdong.config import PortalClient
from mock_idps.guangdong.forms import BadForm, clear_cookie, form_lists, set_cookie
from mock_idps.guangdong.i18n import negotiate
from mock_idps.guangdong.oidc_client import BridgeIdentity, BridgeSignInError
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
    return platform_of(request).pages.error(
        request,
        locale=locale,
        title_key="error.title",
        heading_key="error.heading",
        message_key=f"error.{kind}",
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


def _ui_locales(request: Request, locale: str) -> str:
    """The portal's `ui_locales` for the bridge, when well-formed; else the page's locale."""
    ui_locales = request.query_params.get("ui_locales")
    return ui_locales if ui_locales is not None and _UI_LOCALES.fullmatch(ui_locales) else locale


def _iamsmart_resume(request: Request) -> str | None:
    """The portal request to resume after iAM Smart; none when it expired, or when its
    client does not offer iAM Smart: a plain sign-in then."""
    resume = request.query_params.get("resume")
    waiting = platform_of(request).waiting_request(resume, "iamsmart")
    return resume if waiting is not None else None


async def start_login(request: Request) -> Response:
    platform = platform_of(request)
    locale = locale_of(request)
    resume = _iamsmart_resume(request)
    if platform.session(request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect(platform.after_sign_in(request.cookies[SESSION_COOKIE], resume))
    browser = browser_id(request)
    try:
        url = await platform.begin_iamsmart(_ui_locales(request, locale), browser, resume)
    except BridgeSignInError as exc:
        log.warning("cannot start iAM Smart sign-in: %s", exc)
        return sign_in_failed(request, exc.kind, locale, resume)
    response = RedirectResponse(url, status_code=302, headers={"Cache-Control": "no-store"})
    remember_browser(response, platform, browser)
    return response


async def oidc_callback(request: Request) -> Response:
    platform = platform_of(request)
    state = request.query_params.get("state")
    flow = platform.returning_login(state, request.cookies.get(LOGIN_COOKIE, ""))
    if flow is None:
        log.info("callback without a matching sign-in in this browser")
        return sign_in_failed(request, "expired", locale_of(request))
    locale = locale_of(request, flow.locale)
    if any(len(request.query_params.getlist(name)) > 1 for name in request.query_params):
        return sign_in_failed(request, "failed", locale, flow.resume)
    try:
        identity = await platform.finish_iamsmart(flow, dict(request.query_params))
    except BridgeSignInError as exc:
        log.warning("iAM Smart sign-in not completed: kind=%s %s", exc.kind, exc)
        return sign_in_failed(request, exc.kind, locale, flow.resume)
    return _signed_in_or_binding(request, identity, flow)


def _signed_in_or_binding(request: Request, identity: BridgeIdentity, flow: LoginFlow) -> Response:
    """Into the account bound to this iAM Smart identity; without one, to the 回乡证 form."""
    platform = platform_of(request)
    account = platform.bound_account(identity)
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
    sid = identity.id_token_claims.get("sid")
    if platform.bridge_logout.ended(sid):  # the bridge session ended on the way back
        return sign_in_failed(request, "expired", locale_of(request, flow.locale), flow.resume)
    session_id = platform.sign_in(
        account,
        identity.acr,
        identity.subject,
        sid if isinstance(sid, str) else None,
        identity.id_token,
    )
    return signed_in(request, session_id, flow.resume)


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


def signed_out_page(request: Request) -> Response:
    return platform_of(request).pages.message(
        request,
        locale=locale_of(request),
        page="signed-out",
        title_key="signed_out.title",
        heading_key="signed_out.heading",
    )


async def logout(request: Request) -> Response:
    """Ends the platform session; one that came through the bridge signs out there too
    (RP-Initiated Logout), which tells the other services of the bridge session."""
    platform, session_id = platform_of(request), request.cookies.get(SESSION_COOKIE)
    found = platform.session(session_id)
    at_bridge = await platform.bridge_logout.sign_out_url(
        found[0] if found else None, locale_of(request)
    )
    platform.sign_out(session_id)
    platform.pending_bindings.delete(request.cookies.get(BIND_COOKIE, ""))
    response = redirect(at_bridge) if at_bridge else signed_out_page(request)
    for name in (SESSION_COOKIE, BIND_COOKIE):
        clear_cookie(response, name, secure=platform.config.secure_cookies)
    return response


async def signed_out(request: Request) -> Response:
    return signed_out_page(request)


async def backchannel_logout(request: Request) -> Response:
    """OIDC Back-Channel Logout 1.0 §2.8: 200 when done, 400 when the token fails."""
    try:
        form = await form_lists(request)
    except BadForm:
        form = {}
    tokens = form.get("logout_token", [])
    token = tokens[0] if len(tokens) == 1 else ""
    done = await platform_of(request).bridge_logout.receive(token)
    if done:
        return Response(status_code=200, headers={"Cache-Control": "no-store"})
    return JSONResponse(
        {"error": "invalid_request"}, status_code=400, headers={"Cache-Control": "no-store"}
    )


def resident_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/", home, methods=["GET"])
    router.add_api_route("/profile", profile, methods=["GET"])
    router.add_api_route("/login/iamsmart", start_login, methods=["GET"])
    router.add_api_route("/oidc/callback", oidc_callback, methods=["GET"])
    router.add_api_route("/logout", logout, methods=["GET", "POST"])
    router.add_api_route("/signed-out", signed_out, methods=["GET"])
    router.add_api_route("/oidc/backchannel-logout", backchannel_logout, methods=["POST"])
    return router
