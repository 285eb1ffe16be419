"""The resident's side of a kiosk sign-in (RFC 8628 §3.3), on their phone.

GET  /device                  type the code shown on the kiosk
GET  /device?user_code=…      the kiosk's QR code lands here: "Are you signing in at
                              this kiosk?"
POST /device                  the answer (decline is the default button)
GET  /device/continue         the upstream the resident chose, when there are several
GET  /device/done             after consent: go back to the kiosk
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge.http.answers import browser_of
from bridge.http.device_pages import DevicePages, address_of, device_locale
from bridge.http.forms import read_form
from bridge.signin.device import DeviceSignIns


def device_routes(devices: DeviceSignIns, pages: DevicePages) -> APIRouter:
    router = APIRouter()

    @router.get("/device")
    async def device_page(request: Request) -> Response:
        typed = request.query_params.get("user_code")
        if not typed:
            return pages.entry(request)
        question = await devices.question(typed, browser_of(request), address_of(request))
        return pages.question(request, question)

    @router.post("/device")
    async def device_answer(request: Request) -> Response:
        form = await read_form(request)
        locale = device_locale(request, form)
        result = await devices.answer(form, browser_of(request), address_of(request), locale)
        return pages.answered(request, result, locale)

    @router.get("/device/continue")
    async def device_continue(request: Request) -> Response:
        params, locale = request.query_params, device_locale(request)
        typed, upstream = params.get("user_code", ""), params.get("idp", "")
        result = await devices.resume(typed, upstream, browser_of(request), locale)
        return pages.answered(request, result, locale)

    @router.get("/device/done")
    async def device_done(request: Request) -> Response:
        return pages.done(request, declined="declined" in request.query_params)

    return router
