"""Back-channel endpoints for clients: token (RFC 6749 §3.2), introspection (RFC 7662),
revocation (RFC 7009) and UserInfo (OIDC §5.3). Errors here are JSON with
`Cache-Control: no-store`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import JSONResponse, Response

from bridge.http.deps import ServicesDep
from bridge.http.errors import json_errors
from bridge.http.forms import FORM_CONTENT_TYPE, read_form
from bridge.provider.bearer import bearer_token
from bridge.provider.introspection import introspect
from bridge.provider.revocation import revoke
from bridge.provider.token_exchange import EXCHANGE_REPEATABLE
from bridge.provider.userinfo import userinfo
from bridge.wire import NO_STORE_HEADERS

router = APIRouter(dependencies=[Depends(json_errors)])


@router.post("/token")
async def token(request: Request, services: ServicesDep) -> JSONResponse:
    oauth = services.oauth
    form = await read_form(request, repeatable=EXCHANGE_REPEATABLE)
    client = await oauth.client_auth.authenticate(
        request.headers.get("authorization"), form, endpoint=oauth.endpoint_url("/token")
    )
    body = await services.token_endpoint.grant(client, form)
    return JSONResponse(body, headers=NO_STORE_HEADERS)


@router.post("/introspect")
async def introspection(request: Request, services: ServicesDep) -> JSONResponse:
    oauth = services.oauth
    form = await read_form(request)
    client = await oauth.client_auth.authenticate(
        request.headers.get("authorization"), form, endpoint=oauth.endpoint_url("/introspect")
    )
    body = await introspect(
        client, form, issuer=oauth.issuer, verifier=oauth.verifier, stores=oauth.stores
    )
    return JSONResponse(body, headers=NO_STORE_HEADERS)


@router.post("/revoke")
async def revocation(request: Request, services: ServicesDep) -> Response:
    oauth = services.oauth
    form = await read_form(request)
    client = await oauth.client_auth.authenticate(
        request.headers.get("authorization"), form, endpoint=oauth.endpoint_url("/revoke")
    )
    await revoke(client, form, verifier=oauth.verifier, stores=oauth.stores)
    return Response(status_code=200, headers=NO_STORE_HEADERS)


@router.api_route("/userinfo", methods=["GET", "POST"])
async def user_info(request: Request, services: ServicesDep) -> JSONResponse:
    is_form = request.headers.get("content-type", "").startswith(FORM_CONTENT_TYPE)
    form = await read_form(request) if request.method == "POST" and is_form else None
    access_token = bearer_token(request.headers.get("authorization"), form)
    claims = await userinfo(access_token, services.verifier, services.stores, audit=services.audit)
    return JSONResponse(claims, headers=NO_STORE_HEADERS)
