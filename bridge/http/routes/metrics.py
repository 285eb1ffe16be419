"""Prometheus metrics, text exposition format (`bridge/metrics.py` says what is counted).

Not for the public: keep `/metrics` off the internet-facing gateway and let the
Prometheus server reach each instance directly (it must scrape every instance, not
whichever one a load balancer picks)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from bridge.metrics import CONTENT_TYPE, BridgeMetrics


def metrics_routes(metrics: BridgeMetrics) -> APIRouter:
    router = APIRouter()

    @router.get("/metrics")
    async def exposition() -> Response:
        return Response(
            metrics.exposition(), media_type=CONTENT_TYPE, headers={"Cache-Control": "no-store"}
        )

    return router
