"""`create_app`: one mock Hong Kong e-service, built from its configuration.

Nothing is built at import time; tests build as many services as they like, each with
its own clock and HTTP client.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from mock_idps._http import outbound_client
from mock_idps.hk_eservice.config import HkEserviceConfig
from mock_idps.hk_eservice.i18n import load_catalog, supported
from mock_idps.hk_eservice.pages import Pages
from mock_idps.hk_eservice.service import HkEservice
from mock_idps.hk_eservice.sessions import LANG_COOKIE
from mock_idps.hk_eservice.web import resident_routes, set_cookie

log = logging.getLogger("mock_idps.hk_eservice")

_LANG_COOKIE_AGE = 365 * 24 * 3600


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def _remember_language(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    locale = supported(request.query_params.get("lang") or "")
    if locale is not None:
        set_cookie(request, response, LANG_COOKIE, locale, _LANG_COOKIE_AGE)
    return response


def create_app(
    config: HkEserviceConfig,
    *,
    clock: Callable[[], float] = time.time,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The e-service; `http` is for back-channel calls to the bridge (closed by the caller)."""
    owns_http = http is None
    client = http or outbound_client()
    service = HkEservice(
        config, Pages(load_catalog()), clock=clock, http=client, owns_http=owns_http
    )
    if config.uses_development_secret():
        log.warning("mock HK e-service runs with a development client secret (CHANGE-ME)")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await service.aclose()

    app = FastAPI(
        title="Mock Hong Kong Government e-Service",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.hk_eservice = service
    app.middleware("http")(_remember_language)
    app.include_router(resident_routes())
    app.add_api_route("/healthz", healthz, methods=["GET"])

    async def unexpected(request: Request, exc: Exception) -> Response:
        # A resident never sees a stack trace; the log has the detail.
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "server_error"}, status_code=500)

    app.add_exception_handler(Exception, unexpected)
    return app
