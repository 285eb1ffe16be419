"""Discovery (OIDC Discovery §4) and the JWKS (RFC 7517 §5)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.http.deps import ServicesDep

router = APIRouter()


@router.get("/.well-known/openid-configuration")
async def openid_configuration(services: ServicesDep) -> JSONResponse:
    return JSONResponse(services.discovery, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/jwks.json")
async def jwks(services: ServicesDep) -> JSONResponse:
    services.metrics.jwks_requests.inc()
    # The same policy times key pre-publication from this max-age (signing/policy.py).
    max_age = services.key_ring.policy.jwks_max_age
    return JSONResponse(
        services.keys().jwks(),
        media_type="application/jwk-set+json",
        headers={"Cache-Control": f"public, max-age={max_age}"},
    )
