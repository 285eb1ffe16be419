"""`create_app`: one mock Guangdong platform, built from its configuration.

Nothing is built at import time; tests build as many platforms as they like, each
with its own clock and HTTP client.
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
from mock_idps.guangdong.accounts import load_accounts
from mock_idps.guangdong.bind_pages import binding_routes
from mock_idps.guangdong.config import GuangdongConfig
from mock_idps.guangdong.forms import set_cookie
from mock_idps.guangdong.i18n import load_catalog, match_locale
from mock_idps.guangdong.pages import Pages
from mock_idps.guangdong.platform_login import platform_login_routes
from mock_idps.guangdong.portal import portal_routes
from mock_idps.guangdong.sessions import LANG_COOKIE
from mock_idps.guangdong.state import GuangdongPlatform
from mock_idps.guangdong.web import platform_of, resident_routes

log = logging.getLogger("mock_idps.guangdong")

_LANG_COOKIE_AGE = 365 * 24 * 3600


async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def clear_bindings(request: Request) -> Response:
    platform = platform_of(request)
    platform.bindings.clear()
    return Response(status_code=204)


async def _remember_language(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    chosen = request.query_params.get("lang")
    locale = match_locale(chosen) if chosen else None
    if locale is not None:
        platform = platform_of(request)
        set_cookie(
            response,
            LANG_COOKIE,
            locale,
            max_age=_LANG_COOKIE_AGE,
            secure=platform.config.secure_cookies,
        )
    return response


def create_app(
    config: GuangdongConfig,
    *,
    clock: Callable[[], float] = time.time,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """The platform; `http` is for back-channel calls to the bridge (closed by the caller)."""
    accounts = load_accounts(config.accounts_file)
    pages = Pages(load_catalog())
    owns_http = http is None
    client = http or outbound_client()
    platform = GuangdongPlatform(
        config, accounts, pages, clock=clock, http=client, owns_http=owns_http
    )
    if config.uses_development_secrets():
        log.warning("mock Guangdong platform runs with development secrets (CHANGE-ME)")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await platform.aclose()

    app = FastAPI(
        title="Mock Guangdong Unified Identity Authentication Platform",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.guangdong = platform
    app.middleware("http")(_remember_language)
    app.include_router(resident_routes())
    app.include_router(binding_routes())
    app.include_router(portal_routes())
    app.include_router(platform_login_routes())
    app.add_api_route("/healthz", healthz, methods=["GET"])
    if config.test_controls:
        app.add_api_route("/__test__/bindings", clear_bindings, methods=["DELETE"])

    async def unexpected(request: Request, exc: Exception) -> Response:
        # A resident never sees a stack trace; the log has the detail.
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse({"error": "server_error"}, status_code=500)

    app.add_exception_handler(Exception, unexpected)
    return app
