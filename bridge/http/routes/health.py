"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.http.deps import ServicesDep

router = APIRouter()


@router.get("/healthz")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz")
async def readyz(services: ServicesDep) -> JSONResponse:
    store_ok = await services.stores.backend.ping()
    body = {"status": "ready" if store_ok else "unavailable", "store": store_ok}
    return JSONResponse(body, status_code=200 if store_ok else 503)
