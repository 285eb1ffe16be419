"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.signing.ring import KeyRing
from bridge.store.backend import KeyValueBackend


def health_routes(backend: KeyValueBackend, keys: KeyRing, stale_after: float) -> APIRouter:
    """Ready when the store answers and the key set was read within `stale_after`
    seconds: an instance that cannot read the shared key set would go on signing with a
    key the others may have retired, so it should leave the load balancer."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        store_ok = await backend.ping()
        keys_ok = keys.is_current(stale_after=stale_after)
        ready = store_ok and keys_ok
        body = {"status": "ready" if ready else "unavailable", "store": store_ok, "keys": keys_ok}
        return JSONResponse(body, status_code=200 if ready else 503)

    return router
