"""Browser-facing steps of the sign-in: authorize, the upstream chooser, the upstream
callback, consent. Each handler parses, calls one step of `bridge.signin`, renders."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge.core import SignInSteps
from bridge.http.answers import CookiePolicy, answer, browser_of, redirect
from bridge.http.forms import read_form, read_form_items
from bridge.http.pages import Pages
from bridge.http.views import ConsentPages


def signin_routes(
    steps: SignInSteps, consent_pages: ConsentPages, pages: Pages, cookies: CookiePolicy
) -> APIRouter:
    router = APIRouter()

    @router.get("/authorize")
    async def authorize(request: Request) -> Response:
        items = request.query_params.multi_items()
        result = await steps.clients.start(items, browser_of(request, cookies))
        return answer(result, pages, request, cookies, status=302)

    @router.post("/authorize")  # OIDC Core 3.1.2.1: the OP MUST support GET and POST
    async def authorize_by_form(request: Request) -> Response:
        items = await read_form_items(request)
        result = await steps.clients.start(items, browser_of(request, cookies))
        return answer(result, pages, request, cookies, status=303)

    @router.get("/callback/{upstream}")
    async def upstream_callback(upstream: str, request: Request) -> Response:
        params = dict(request.query_params)
        result = await steps.callback.handle(upstream, params, browser_of(request, cookies))
        return redirect(result, cookies, status=303)

    @router.get("/consent/{interaction_id}")
    async def consent_page(interaction_id: str, request: Request) -> Response:
        pending, client = await steps.consent.pending(interaction_id, browser_of(request, cookies))
        return consent_pages.render(pending, client, request)

    @router.post("/consent/{interaction_id}")
    async def consent_decision(interaction_id: str, request: Request) -> Response:
        form = await read_form(request)
        result = await steps.consent.decide(interaction_id, form, browser_of(request, cookies))
        return redirect(result, cookies, status=303)

    return router
