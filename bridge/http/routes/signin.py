"""Browser-facing steps of the sign-in: authorize, upstream callback, consent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from bridge import i18n
from bridge.broker import Redirect
from bridge.consent.view import build_view
from bridge.http.deps import BROWSER_COOKIE, BrowserDep, ServicesDep
from bridge.http.forms import read_form
from bridge.wire import NO_STORE_HEADERS

router = APIRouter()


def _redirect(services: ServicesDep, result: Redirect, status: int = 302) -> Response:
    response = RedirectResponse(result.location, status_code=status, headers=NO_STORE_HEADERS)
    if result.browser_id is not None:
        settings = services.settings
        response.set_cookie(
            BROWSER_COOKIE,
            result.browser_id,
            max_age=settings.flow_ttl + settings.consent_ttl,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
        )
    return response


@router.get("/authorize")
async def authorize(request: Request, services: ServicesDep, browser: BrowserDep) -> Response:
    result = await services.broker.start(request.query_params.multi_items(), browser)
    return _redirect(services, result)


@router.get("/callback/{upstream}")
async def upstream_callback(
    upstream: str, request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    params = dict(request.query_params)
    result = await services.broker.upstream_callback(upstream, params, browser)
    return _redirect(services, result, status=303)


@router.get("/consent/{interaction_id}")
async def consent_page(
    interaction_id: str, request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    pending, client = await services.broker.pending_consent(interaction_id, browser)
    chosen = i18n.normalize(request.query_params.get("lang", ""))
    locale = chosen or i18n.negotiate(
        pending.request.ui_locales, request.headers.get("accept-language")
    )
    view = build_view(
        pending,
        client,
        services.mapper,
        locale,
        remember_days=services.settings.consent_memory_ttl // 86400,
    )
    return services.pages.render("consent.html", locale=locale, request=request, view=view)


@router.post("/consent/{interaction_id}")
async def consent_decision(
    interaction_id: str, request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    form = await read_form(request)
    result = await services.broker.decide(interaction_id, form, browser)
    return _redirect(services, result, status=303)
