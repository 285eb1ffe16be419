"""The mock iAM Smart application factory (docs/protocols.md §4.1). Nothing is built at import."""

from __future__ import annotations

import time
from collections.abc import Callable

from fastapi import FastAPI

from mock_idps.iamsmart import api, authorize, controls
from mock_idps.iamsmart.config import MockIamSmartConfig
from mock_idps.iamsmart.pages import Pages
from mock_idps.iamsmart.state import IamSmartState


def create_app(config: MockIamSmartConfig, *, clock: Callable[[], float] = time.time) -> FastAPI:
    """Build a mock iAM Smart; its mutable state is `app.state.iamsmart` (an `IamSmartState`)."""
    state = IamSmartState(config, clock)
    # iAM Smart publishes no OpenAPI document; neither does its mock.
    app = FastAPI(title="Mock iAM Smart", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.iamsmart = state
    app.include_router(authorize.build_router(state, Pages()))
    app.include_router(api.build_router(state))
    if config.settings.test_controls:
        app.include_router(controls.build_router(state))

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
