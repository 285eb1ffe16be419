"""Browser-facing steps of the sign-in: authorize, upstream callback, consent."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.consent.view import build_view
from bridge.http.deps import BrowserDep, ServicesDep
from bridge.http.forms import read_form
from bridge.http.redirects import browser_redirect

router = APIRouter()


@router.get("/authorize")
async def authorize(request: Request, services: ServicesDep, browser: BrowserDep) -> Response:
    result = await services.broker.start(request.query_params.multi_items(), browser)
    return browser_redirect(result, services.settings, status=302)


@router.get("/callback/{upstream}")
async def upstream_callback(
    upstream: str, request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    params = dict(request.query_params)
    result = await services.broker.upstream_callback(upstream, params, browser)
    return browser_redirect(result, services.settings, status=303)


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
        offline_days=max(1, services.settings.refresh_token_absolute_ttl // 86400),
    )
    return services.pages.render("consent.html", locale=locale, request=request, view=view)


@router.post("/consent/{interaction_id}")
async def consent_decision(
    interaction_id: str, request: Request, services: ServicesDep, browser: BrowserDep
) -> Response:
    form = await read_form(request)
    result = await services.broker.decide(interaction_id, form, browser)
    return browser_redirect(result, services.settings, status=303)
