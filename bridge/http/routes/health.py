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
    """Ready when the store answers and the key set was read within three refresh
    intervals: an instance that cannot read the shared key set would go on signing with
    a key the others may have retired, so it should leave the load balancer."""
    store_ok = await services.stores.backend.ping()
    stale_after = 3 * services.settings.keys_refresh_interval
    keys_ok = services.key_ring.is_current(stale_after=stale_after)
    ready = store_ok and keys_ok
    body = {"status": "ready" if ready else "unavailable", "store": store_ok, "keys": keys_ok}
    return JSONResponse(body, status_code=200 if ready else 503)
