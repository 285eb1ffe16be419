"""Discovery (OIDC Discovery §4) and the JWKS (RFC 7517 §5)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.metrics import BridgeMetrics
from bridge.signing.ring import KeyRing


def metadata_routes(discovery: dict[str, Any], keys: KeyRing, metrics: BridgeMetrics) -> APIRouter:
    router = APIRouter()

    @router.get("/.well-known/openid-configuration")
    async def openid_configuration() -> JSONResponse:
        return JSONResponse(discovery, headers={"Cache-Control": "public, max-age=3600"})

    @router.get("/jwks.json")
    async def jwks() -> JSONResponse:
        metrics.jwks_requests.inc()
        # The same policy times key pre-publication from this max-age (signing/policy.py).
        max_age = keys.policy.jwks_max_age
        return JSONResponse(
            keys.current().jwks(),
            media_type="application/jwk-set+json",
            headers={"Cache-Control": f"public, max-age={max_age}"},
        )

    return router
