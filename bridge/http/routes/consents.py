"""The resident's consent page: remembered consents, and withdrawing them.

GET  /consents            the list (after signing in), or a page to sign in
GET  /consents/sign-in    to iAM Smart, back through /callback/iamsmart
POST /consents/withdraw   withdraw one client's remembered consent
POST /consents/sign-out
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.consent.listing import build_rows
from bridge.http.deps import BrowserDep, ServicesDep
from bridge.http.forms import read_form
from bridge.http.redirects import browser_redirect

router = APIRouter()


def _locale(request: Request, remembered: str | None = None) -> str:
    chosen = i18n.normalize(request.query_params.get("lang", ""))
    return chosen or remembered or i18n.negotiate((), request.headers.get("accept-language"))


@router.get("/consents")
async def consents_page(request: Request, services: ServicesDep, browser: BrowserDep) -> Response:
    session = await services.accounts.session(browser)
    locale = _locale(request, session.locale if session else None)
    if session is None:
        return services.pages.render(
            "consents_signin.html",
            locale=locale,
            request=request,
            signed_out="signed_out" in request.query_params,
        )
    remembered = await services.accounts.memory.remembered(session.resident)
    withdrawn = services.clients.get(request.query_params.get("withdrawn", ""))
    return services.pages.render(
        "consents.html",
        locale=locale,
        request=request,
        rows=build_rows(remembered, services.clients, services.mapper, locale),
        csrf_token=session.csrf_token,
        withdrawn=withdrawn.name.get(locale) if withdrawn else None,
    )


@router.get("/consents/sign-in")
async def consents_sign_in(
    request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    result = await services.accounts.start(browser, _locale(request))
    return browser_redirect(result, services.settings, status=302)


@router.post("/consents/withdraw")
async def withdraw(request: Request, services: ServicesDep, browser: BrowserDep) -> Response:
    result = await services.accounts.withdraw(browser, await read_form(request))
    return browser_redirect(result, services.settings, status=303)


@router.post("/consents/sign-out")
async def sign_out(request: Request, services: ServicesDep, browser: BrowserDep) -> Response:
    result = await services.accounts.sign_out(browser, await read_form(request))
    return browser_redirect(result, services.settings, status=303)
