"""The resident's pages: choose a way to sign in, the bridge's callback, what the service
received, sign out. Routes parse, call the service and render; every failure becomes a
page in the resident's language, never a 500.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mock_idps.hk_eservice.failures import SignInFailed
from mock_idps.hk_eservice.i18n import choose_locale
from mock_idps.hk_eservice.service import IDENTITY_PROVIDERS, HkEservice
from mock_idps.hk_eservice.sessions import LANG_COOKIE, LOGIN_COOKIE, SESSION_COOKIE, new_id

_BROWSER_ID = re.compile(r"[A-Za-z0-9_-]{43}")
_MAX_FORM_BYTES = 4096


def service_of(request: Request) -> HkEservice:
    service: HkEservice = request.app.state.hk_eservice
    return service


def locale_of(request: Request, started_in: str | None = None) -> str:
    return choose_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANG_COOKIE),
        started_in,
        accept_language=request.headers.get("accept-language"),
    )


def set_cookie(request: Request, response: Response, name: str, value: str, age: int) -> None:
    secure = service_of(request).config.secure_cookies
    response.set_cookie(
        name, value, max_age=age, path="/", secure=secure, httponly=True, samesite="lax"
    )


def redirect(url: str, status_code: int = 303) -> RedirectResponse:
    return RedirectResponse(url, status_code=status_code, headers={"Cache-Control": "no-store"})


def sign_in_url(idp: str, locale: str) -> str:
    return f"/login/{idp}?{urlencode({'lang': locale})}"


def failed(request: Request, failure: SignInFailed) -> Response:
    locale = locale_of(request, failure.locale)
    return service_of(request).pages.message(
        request,
        locale=locale,
        page="error",
        title_key="error.title",
        heading_key="error.heading",
        message_key=failure.message_key,
        error_kind=failure.kind,
        bridge_error=failure.error,
        bridge_description=failure.description,
        retry_url=sign_in_url(failure.idp_hint, locale) if failure.idp_hint else None,
        status_code=failure.status,
    )


async def home(request: Request) -> Response:
    service = service_of(request)
    if service.session(request.cookies.get(SESSION_COOKIE)) is not None:
        return redirect("/profile")
    locale = locale_of(request)
    links = [(idp, sign_in_url(idp, locale)) for idp in IDENTITY_PROVIDERS]
    return service.pages.render(
        request, "home.html", locale=locale, page="home", sign_in_links=links
    )


async def profile(request: Request) -> Response:
    service = service_of(request)
    session = service.session(request.cookies.get(SESSION_COOKIE))
    if session is None:
        return redirect("/")
    return service.pages.render(
        request,
        "profile.html",
        locale=locale_of(request),
        page="profile",
        session=session,
        released=service.released_claims(session),
        sign_in_details=service.sign_in_details(session),
        identity_providers=IDENTITY_PROVIDERS,
    )


async def start_sign_in(request: Request) -> Response:
    idp, locale = request.path_params["idp"], locale_of(request)
    if idp not in IDENTITY_PROVIDERS:
        return failed(request, SignInFailed("not_found"))
    # One id per browser, kept across attempts, so two tabs signing in do not clash.
    browser = request.cookies.get(LOGIN_COOKIE, "")
    browser = browser if _BROWSER_ID.fullmatch(browser) else new_id()
    service = service_of(request)
    try:
        url = await service.begin(idp, locale, browser)
    except SignInFailed as failure:
        return failed(request, failure)
    response = redirect(url, status_code=302)
    set_cookie(request, response, LOGIN_COOKIE, browser, service.config.lifetimes.login_flow)
    return response


async def oidc_callback(request: Request) -> Response:
    service = service_of(request)
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    try:
        session_id = await service.finish(params, request.cookies.get(LOGIN_COOKIE, ""))
    except SignInFailed as failure:
        return failed(request, failure)
    service.end_session(request.cookies.get(SESSION_COOKIE))  # no session fixation
    response = redirect("/profile")
    set_cookie(request, response, SESSION_COOKIE, session_id, service.config.lifetimes.session)
    return response


async def _form_field(request: Request, name: str) -> str:
    """One field of a small urlencoded form ("" if absent, repeated or oversized)."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            return ""
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=8).get(name, [])
    except (UnicodeDecodeError, ValueError):
        return ""
    return values[0] if len(values) == 1 else ""


async def sign_out(request: Request) -> Response:
    service, locale = service_of(request), locale_of(request)
    session_id = request.cookies.get(SESSION_COOKIE)
    csrf = await _form_field(request, "csrf_token")
    ok, at_bridge = await service.sign_out(session_id, csrf, locale)
    if not ok:
        return failed(request, SignInFailed("form_expired"))
    response = redirect(at_bridge) if at_bridge else signed_out_page(request)
    secure = service.config.secure_cookies
    response.delete_cookie(SESSION_COOKIE, path="/", secure=secure, httponly=True, samesite="lax")
    return response


def signed_out_page(request: Request) -> Response:
    return service_of(request).pages.message(
        request,
        locale=locale_of(request),
        page="signed-out",
        title_key="signed_out.title",
        heading_key="signed_out.heading",
    )


async def signed_out(request: Request) -> Response:
    return signed_out_page(request)


async def backchannel_logout(request: Request) -> Response:
    """OIDC Back-Channel Logout 1.0 §2.8: 200 when done, 400 when the token fails."""
    done = await service_of(request).backchannel_logout(await _form_field(request, "logout_token"))
    headers = {"Cache-Control": "no-store"}
    if done:
        return Response(status_code=200, headers=headers)
    return JSONResponse({"error": "invalid_request"}, status_code=400, headers=headers)


def resident_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/", home, methods=["GET"])
    router.add_api_route("/profile", profile, methods=["GET"])
    router.add_api_route("/login/{idp}", start_sign_in, methods=["GET"])
    router.add_api_route("/oidc/callback", oidc_callback, methods=["GET"])
    router.add_api_route("/logout", sign_out, methods=["POST"])
    router.add_api_route("/signed-out", signed_out, methods=["GET"])
    router.add_api_route("/backchannel-logout", backchannel_logout, methods=["POST"])
    return router
