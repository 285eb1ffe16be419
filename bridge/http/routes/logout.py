"""RP-Initiated Logout 1.0 (`bridge.logout.rp_initiated`).

GET|POST /logout           the end-session endpoint (query or form parameters)
POST     /logout/confirm   the resident's answer on the confirmation page
GET      /logout/done      back from an upstream's logout, or the signed-out page
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.browser import Redirect
from bridge.http.answers import CookiePolicy, browser_of, redirect, set_browser_cookie
from bridge.http.forms import read_form
from bridge.http.pages import Pages
from bridge.logout.rp_initiated import Confirm, EndSession

LOGOUT_STATUS = 303


async def _params(request: Request) -> dict[str, list[str]]:
    params: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    if request.method == "POST":
        for name, value in (await read_form(request)).items():
            params.setdefault(name, []).append(value)
    return params


def _confirm_page(pages: Pages, cookies: CookiePolicy, confirm: Confirm) -> Response:
    response = pages.render(
        "logout_confirm.html",
        locale=confirm.locale,
        logout_id=confirm.logout_id,
        csrf_token=confirm.csrf_token,
        client_name=confirm.client_name,
    )
    if confirm.browser_id is not None:  # the page is bound to the browser, like consent
        set_browser_cookie(response, confirm.browser_id, cookies)
    return response


def logout_routes(end_session: EndSession, pages: Pages, cookies: CookiePolicy) -> APIRouter:
    router = APIRouter()

    @router.api_route("/logout", methods=["GET", "POST"])
    async def logout(request: Request) -> Response:
        params = await _params(request)
        accept = request.headers.get("accept-language")
        result = await end_session.start(params, browser_of(request), accept)
        if isinstance(result, Confirm):
            return _confirm_page(pages, cookies, result)
        return redirect(result, cookies, status=LOGOUT_STATUS)

    @router.post("/logout/confirm")
    async def logout_confirm(request: Request) -> Response:
        result = await end_session.confirm(await read_form(request), browser_of(request))
        return redirect(result, cookies, status=LOGOUT_STATUS)

    @router.get("/logout/done")
    async def logout_done(request: Request) -> Response:
        locale = i18n.normalize(request.query_params.get("lang", "")) or i18n.DEFAULT
        next_id = request.query_params.get("next")
        if next_id is not None:
            destination = await end_session.continued(next_id, locale)
            return redirect(Redirect(destination), cookies, status=LOGOUT_STATUS)
        stayed = request.query_params.get("stayed") == "1"
        return pages.render("logout_done.html", locale=locale, request=request, stayed=stayed)

    return router
