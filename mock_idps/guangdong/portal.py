"""HTTP face of the platform's OAuth2 dialect (`dialect.py`) for its portals.

Paths mirror the observed `tif` deployment, with the older `/pscp/...` aliases
(docs/protocols.md §2.2).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from mock_idps.guangdong.dialect import AuthorizeRejected, TokenError
from mock_idps.guangdong.forms import (
    BadForm,
    Params,
    clear_cookie,
    first,
    form_lists,
    query_lists,
)
from mock_idps.guangdong.jwt_bearer import GRANT_TYPE
from mock_idps.guangdong.sessions import SESSION_COOKIE
from mock_idps.guangdong.web import locale_of, login_page, platform_of, signed_out_page

_PREFIXES = ("/tif/sso/connect/page/oauth2", "/pscp/sso/connect/page/oauth2")
_JSON_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _authorize_refused(request: Request, refusal: AuthorizeRejected) -> Response:
    return platform_of(request).pages.error(
        request,
        locale=locale_of(request),
        title_key="portal.error.title",
        heading_key="portal.error.heading",
        message_key=refusal.message_key,
    )


async def authorize(request: Request) -> Response:
    platform = platform_of(request)
    try:
        portal_request = platform.portal.check_authorize(query_lists(request))
    except AuthorizeRejected as exc:
        return _authorize_refused(request, exc)
    target = None
    if not portal_request.force_login:
        target = platform.reuse_session(request.cookies.get(SESSION_COOKIE), portal_request)
    if target is not None:
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
    resume = platform.remember_portal_request(portal_request)
    return login_page(request, resume=resume, portal=platform.portal_client_of(portal_request))


async def _token_params(request: Request) -> Params:
    """The query's parameters and, for a POST, the form's, as the platform reads both."""
    params: Params = query_lists(request)
    if request.method == "POST":
        try:
            for name, values in (await form_lists(request)).items():
                params.setdefault(name, []).extend(values)
        except BadForm as exc:
            raise TokenError("invalid_request", "body must be a small urlencoded form") from exc
    return params


async def access_token(request: Request) -> Response:
    platform = platform_of(request)
    try:
        params = await _token_params(request)
        if first(params, "grant_type") == GRANT_TYPE and request.method == "POST":
            body = await platform.jwt_bearer.grant(_single_values(params))
        else:
            body = platform.portal.redeem(params)
    except TokenError as error:
        return JSONResponse(error.body(), status_code=400, headers=_JSON_HEADERS)
    return JSONResponse(body, headers=_JSON_HEADERS)


def _single_values(params: Params) -> dict[str, str]:
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise TokenError("invalid_request", f"repeated parameter {repeated[0][:40]}")
    return {name: values[0] for name, values in params.items()}


async def tokeninfo(request: Request) -> Response:
    token = request.query_params.get("access_token")
    body = platform_of(request).portal.tokeninfo(token)
    return JSONResponse(body, headers=_JSON_HEADERS)


async def sso_logout(request: Request) -> Response:
    platform = platform_of(request)
    platform.sign_out(request.cookies.get(SESSION_COOKIE))
    target = platform.portal.logout_target(request.query_params.get("redirect_uri"))
    response: Response
    if target is not None:
        response = RedirectResponse(target, status_code=302)
    else:
        response = signed_out_page(request)
    clear_cookie(response, SESSION_COOKIE, secure=platform.config.secure_cookies)
    return response


def portal_routes() -> APIRouter:
    router = APIRouter()
    for prefix in _PREFIXES:
        router.add_api_route(f"{prefix}/authorize", authorize, methods=["GET"])
        router.add_api_route(f"{prefix}/access_token", access_token, methods=["GET", "POST"])
        router.add_api_route(f"{prefix}/tokeninfo", tokeninfo, methods=["GET"])
    # The older deployment's authorize URL ends in a slash.
    router.add_api_route(f"{_PREFIXES[1]}/authorize/", authorize, methods=["GET"])
    router.add_api_route("/_tif_sso_logout_/", sso_logout, methods=["GET"])
    return router
