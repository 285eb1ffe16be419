"""The kiosk's routes: the welcome screen, the QR code while the phone answers, the
resident's page and Finish."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from mock_idps.kiosk.desk import KioskDesk
from mock_idps.kiosk.device_client import KioskError
from mock_idps.kiosk.pages import Pages

SESSION_COOKIE = "kiosk_session"


def _home() -> RedirectResponse:
    return RedirectResponse("/", status_code=303)


def kiosk_routes(desk: KioskDesk, pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/")
    async def home(request: Request) -> Response:
        return pages.render("home.html", finished="finished" in request.query_params)

    @router.post("/start")
    async def start(request: Request) -> Response:
        await desk.finish(request.cookies.get(SESSION_COOKIE))  # a stale session ends
        try:
            session = await desk.begin()
        except KioskError as error:
            return pages.render("message.html", status_code=503, outcome=error.error)
        response = RedirectResponse("/wait", status_code=303)
        response.set_cookie(SESSION_COOKIE, session.session_id, httponly=True, samesite="lax")
        return response

    @router.get("/wait")
    async def wait(request: Request) -> Response:
        session = desk.session(request.cookies.get(SESSION_COOKIE))
        if session is None:
            return _home()
        await desk.wait(session)
        if session.tokens is not None:
            return RedirectResponse("/resident", status_code=303)
        if session.outcome is not None:
            return pages.render("message.html", outcome=session.outcome)
        return pages.render("wait.html", session=session)

    @router.get("/resident")
    async def resident(request: Request) -> Response:
        session = desk.session(request.cookies.get(SESSION_COOKIE))
        if session is None or session.tokens is None:
            return _home()
        return pages.render("resident.html", resident=session.resident)

    @router.post("/finish")
    async def finish(request: Request) -> Response:
        await desk.finish(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/?finished=1", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return router
