"""Liveness and readiness for orchestrators and load balancers."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.durable.database import Database
from bridge.signing.ring import KeyRing
from bridge.store.backend import KeyValueBackend


def health_routes(
    backend: KeyValueBackend,
    keys: KeyRing,
    stale_after: float,
    database: Database | None = None,
) -> APIRouter:
    """Ready when the store answers, PostgreSQL answers (when the durable records live
    there: without it no sign-in can be recorded, so none can finish), and the key set
    was read within `stale_after` seconds: an instance that cannot read the shared key
    set would go on signing with a key the others may have retired, so it should leave
    the load balancer. A 503 names the dependencies that failed — names only, never a
    URL, so a probe's log holds no credentials."""
    router = APIRouter()

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @router.get("/readyz")
    async def readyz() -> JSONResponse:
        checks = {"store": await backend.ping(), "keys": keys.is_current(stale_after=stale_after)}
        if database is not None:
            checks["database"] = await database.ping()
        return readiness(checks)

    return router


def readiness(checks: dict[str, bool]) -> JSONResponse:
    down = [name for name, ok in checks.items() if not ok]
    body: dict[str, object] = {"status": "unavailable" if down else "ready", **checks}
    if down:
        body["unavailable"] = down
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    return JSONResponse(body)
