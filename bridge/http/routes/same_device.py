"""The bridge's own page before an app-based upstream on a phone (iAM Smart):

GET /signin/upstream/<state>          "Continue with iAM Smart", or "Use iAM Smart on
                                      another device"
GET /signin/upstream/<state>/go       the request to the upstream, only now
                                      (`?device=other`: the QR code for another device)

iAM Smart's rule is that a request to it starts only once the resident pressed its
button; the other-device link is there because user agents lie (iPadOS Safari and
HarmonyOS browsers claim neither iPhone nor Android and get the QR code anyway).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.http.answers import CookiePolicy, browser_of, redirect
from bridge.http.pages import Pages
from bridge.signin.upstream_flows import LEAVE_PATH, UpstreamFlows


def same_device_routes(flows: UpstreamFlows, pages: Pages, cookies: CookiePolicy) -> APIRouter:
    router = APIRouter()

    @router.get(LEAVE_PATH + "{state}")
    async def same_device_page(state: str, request: Request) -> Response:
        flow, connector = await flows.waiting(state, browser_of(request))
        chosen = i18n.normalize(request.query_params.get("lang", ""))
        accept = request.headers.get("accept-language")
        locale = chosen or i18n.negotiate(flow.ui_locales, accept)
        idp = connector.display_name.get(locale)
        go = f"{LEAVE_PATH}{state}/go"
        return pages.render("same_device.html", locale=locale, request=request, idp=idp, go=go)

    @router.get(LEAVE_PATH + "{state}/go")
    async def leave_for_upstream(state: str, request: Request) -> Response:
        other = request.query_params.get("device") == "other"
        result = await flows.leave(state, browser_of(request), other_device=other)
        return redirect(result, cookies, status=303)

    return router
