"""Test-only controls, mounted only when `settings.test_controls` is true.

They stand in for what a test cannot wait for or provoke through the protocol itself,
such as iAM Smart rotating a content key early (docs/protocols.md §1.9: "CEK may be rotated
at any time").
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from mock_idps.iamsmart.state import IamSmartState


def build_router(state: IamSmartState) -> APIRouter:
    router = APIRouter(prefix="/__test__")

    @router.post("/expire-cek")
    async def expire_cek(clientID: str | None = None) -> dict[str, list[str]]:
        """Make the client's CEK (every client's, without `clientID`) expire now."""
        if clientID is not None and clientID not in state.clients:
            raise HTTPException(404, "unknown clientID")
        expired = [clientID] if clientID is not None else list(state.clients)
        for client_id in expired:
            state.expire_cek(client_id)
        return {"expired": expired}

    @router.get("/counters")
    async def counters() -> dict[str, int]:
        """Requests received per endpoint (getQR, getKey, revokeKey, getToken, profiles)."""
        return dict(state.calls)

    return router
