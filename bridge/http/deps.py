"""Dependency aliases for route handlers."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bridge.broker import Browser
from bridge.services import Services

BROWSER_COOKIE = "bridge_browser"


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in a worker thread, a hop that cost
    # the token endpoint about a sixth of its time before it moved to bridge/http/api.py.
    services: Services = request.app.state.services
    return services


async def get_browser(request: Request) -> Browser:
    return Browser(
        browser_id=request.cookies.get(BROWSER_COOKIE),
        user_agent=request.headers.get("user-agent"),
    )


ServicesDep = Annotated[Services, Depends(get_services)]
BrowserDep = Annotated[Browser, Depends(get_browser)]
