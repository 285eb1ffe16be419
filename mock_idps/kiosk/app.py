"""`create_app`: the mock kiosk, an RFC 8628 client of the bridge.

Why a mock of its own rather than a kiosk mode of the mock Guangdong platform and the
mock Hong Kong e-service: a kiosk is a separate client with its own registration and
its own grant (it never receives a redirect), and it stands on either side of the
boundary. One small app configured as either kiosk keeps the two services' mocks what
their real systems are.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mock_idps._http import outbound_client
from mock_idps.kiosk.config import KioskConfig
from mock_idps.kiosk.desk import KioskDesk
from mock_idps.kiosk.device_client import DeviceClient
from mock_idps.kiosk.pages import Pages
from mock_idps.kiosk.web import kiosk_routes

log = logging.getLogger("mock_idps.kiosk")


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def create_app(
    config: KioskConfig,
    *,
    clock: Callable[[], float] = time.time,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    owns_http = http is None
    client = http or outbound_client()
    desk = KioskDesk(DeviceClient(config, client, clock), clock)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if owns_http:
            await client.aclose()

    app = FastAPI(
        title="Mock kiosk", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.kiosk = desk
    app.include_router(kiosk_routes(desk, Pages(config.title)))
    app.add_api_route("/healthz", healthz, methods=["GET"])

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "server_error"}, status_code=500)

    app.add_exception_handler(Exception, unexpected)
    return app
