"""Back-channel endpoints for clients: token (RFC 6749 §3.2) and UserInfo (OIDC §5.3).
Errors here are JSON with `Cache-Control: no-store`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse

from bridge.http.deps import ServicesDep
from bridge.http.errors import json_errors
from bridge.http.forms import FORM_CONTENT_TYPE, read_form
from bridge.provider.bearer import bearer_token
from bridge.provider.client_auth import authenticate_client
from bridge.provider.userinfo import userinfo
from bridge.wire import NO_STORE_HEADERS

router = APIRouter(dependencies=[Depends(json_errors)])


@router.post("/token")
async def token(request: Request, services: ServicesDep) -> JSONResponse:
    form = await read_form(request)
    client = authenticate_client(request.headers.get("authorization"), form, services.clients)
    body = await services.token_endpoint.grant(client, form)
    return JSONResponse(body, headers=NO_STORE_HEADERS)


@router.api_route("/userinfo", methods=["GET", "POST"])
async def user_info(request: Request, services: ServicesDep) -> JSONResponse:
    is_form = request.headers.get("content-type", "").startswith(FORM_CONTENT_TYPE)
    form = await read_form(request) if request.method == "POST" and is_form else None
    access_token = bearer_token(request.headers.get("authorization"), form)
    claims = await userinfo(access_token, services.verifier, services.stores.grants)
    return JSONResponse(claims, headers=NO_STORE_HEADERS)
