"""Discovery (OIDC Discovery §4), authorization server metadata (RFC 8414 §3) and the
JWKS (RFC 7517 §5).

Both metadata paths serve one identical document: RFC 8414 §2 lets OIDC members stand
in it, and a client reading either path must see the same endpoints and algorithms."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse

from bridge.metrics import BridgeMetrics
from bridge.signing.ring import KeyRing


def metadata_routes(discovery: dict[str, Any], keys: KeyRing, metrics: BridgeMetrics) -> APIRouter:
    router = APIRouter()

    async def metadata() -> JSONResponse:
        return JSONResponse(discovery, headers={"Cache-Control": "public, max-age=3600"})

    router.add_api_route("/.well-known/openid-configuration", metadata, methods=["GET"])
    router.add_api_route("/.well-known/oauth-authorization-server", metadata, methods=["GET"])

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
