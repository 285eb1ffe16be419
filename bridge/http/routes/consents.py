"""The resident's consent page: remembered consents, and withdrawing them.

GET  /consents            the list (after signing in), or a page to sign in
GET  /consents/sign-in    to an identity provider (a chooser when there are several),
                          back through /callback/<upstream>
POST /consents/withdraw   withdraw one client's remembered consent
POST /consents/sign-out
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.http.answers import CookiePolicy, answer, browser_of, redirect
from bridge.http.consents_page import ConsentsPage
from bridge.http.forms import read_form
from bridge.http.pages import Pages
from bridge.signin.account import AccountSignIns


def _locale(request: Request, remembered: str | None = None) -> str:
    chosen = i18n.normalize(request.query_params.get("lang", ""))
    return chosen or remembered or i18n.negotiate((), request.headers.get("accept-language"))


def consents_routes(
    accounts: AccountSignIns, page: ConsentsPage, pages: Pages, cookies: CookiePolicy
) -> APIRouter:
    router = APIRouter()

    @router.get("/consents")
    async def consents_page(request: Request) -> Response:
        session = await accounts.session(browser_of(request, cookies))
        locale = _locale(request, session.locale if session else None)
        if session is None:
            signed_out = "signed_out" in request.query_params
            return page.sign_in(request, locale, accounts.options(locale), signed_out=signed_out)
        remembered = await accounts.memory.remembered(session.resident)
        withdrawn = request.query_params.get("withdrawn", "")
        return page.listing(request, locale, remembered, session.csrf_token, withdrawn=withdrawn)

    @router.get("/consents/sign-in")
    async def consents_sign_in(request: Request) -> Response:
        upstream = request.query_params.get("idp")
        result = await accounts.start(browser_of(request, cookies), _locale(request), upstream)
        return answer(result, pages, request, cookies, status=302)

    @router.post("/consents/withdraw")
    async def withdraw(request: Request) -> Response:
        result = await accounts.withdraw(browser_of(request, cookies), await read_form(request))
        return redirect(result, cookies, status=303)

    @router.post("/consents/sign-out")
    async def sign_out(request: Request) -> Response:
        result = await accounts.sign_out(browser_of(request, cookies), await read_form(request))
        return redirect(result, cookies, status=303)

    return router
