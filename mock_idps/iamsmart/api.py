"""The back-channel API of iAM Smart: security/getKey, security/revokeKey, auth/getToken
and profiles (docs/protocols.md §1.3, §1.6, §1.8–§1.11, §4.1).

Answers are the §1.10 envelope `{txID, code, message, content}`; business failures are
HTTP 200 with the D-code and no content. getKey answers in clear; getToken and profiles
take and return AES-GCM `content` under the client's current CEK.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse

from mock_idps.iamsmart import codes
from mock_idps.iamsmart.codes import IamSmartError
from mock_idps.iamsmart.config import EME_FIELDS, PROFILE_FIELDS, ClientConfig
from mock_idps.iamsmart.signing import verify_request
from mock_idps.iamsmart.state import IamSmartState
from mock_idps.iamsmart.wire import decrypt_content, encrypt_content, public_key_b64, wrap_cek

Handler = Callable[[ClientConfig, dict[str, Any]], dict[str, Any]]


def envelope(code: str, content: Any = None) -> JSONResponse:
    body: dict[str, Any] = {"txID": uuid.uuid4().hex, "code": code, "message": codes.MESSAGES[code]}
    if content is not None:
        body["content"] = content
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _content_of(body: bytes) -> str | None:
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    content = parsed.get("content") if isinstance(parsed, dict) else None
    return content if isinstance(content, str) else None


def _string(payload: dict[str, Any], name: str) -> str:
    value = payload.get(name)
    if value is None:
        raise IamSmartError(codes.PARAMETER_MISSING, name)
    if not isinstance(value, str):
        raise IamSmartError(codes.PARAMETER_INVALID, name)
    if value == "":
        raise IamSmartError(codes.PARAMETER_EMPTY, name)
    return value


def _field_list(payload: dict[str, Any], name: str, allowed: frozenset[str]) -> list[str]:
    value = payload.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v in allowed for v in value):
        raise IamSmartError(codes.PARAMETER_INVALID, name)
    return value


class Api:
    def __init__(self, state: IamSmartState) -> None:
        self.state = state

    def get_token(self, client: ClientConfig, payload: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        code_value = _string(payload, "code")
        if _string(payload, "grantType") != "authorization_code":
            raise IamSmartError(codes.PARAMETER_INVALID, "grantType")
        # Taken out before any check: a code is spent by its first presentation.
        code = state.codes.pop(code_value, None)
        if (
            code is None
            or code.client_id != client.clientID
            or state.clock() - code.issued_at > state.settings.code_ttl_seconds
        ):
            raise IamSmartError(codes.AUTH_CODE_INVALID, "code")
        access_token, token = state.new_token(code)
        return {
            "accessToken": access_token,
            "tokenType": "Bearer",
            "issueAt": state.now_ms(),
            "expiresIn": state.settings.access_token_ttl_ms,
            "openID": token.open_id,
            "lastModifiedDate": state.last_modified[code.persona_id],
            "userType": state.personas[code.persona_id].userType,
            "scope": " ".join(code.scope),
        }

    def profiles(self, client: ClientConfig, payload: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        access_token = _string(payload, "accessToken")
        open_id = _string(payload, "openID")
        profile_fields = _field_list(payload, "profileFields", PROFILE_FIELDS)
        eme_fields = _field_list(payload, "eMEFields", EME_FIELDS)
        if not profile_fields and not eme_fields:
            raise IamSmartError(codes.PARAMETER_EMPTY, "profileFields")
        token = state.tokens.get(access_token)
        if (
            token is None
            or token.client_id != client.clientID
            or token.expires_at_ms <= state.now_ms()
        ):
            raise IamSmartError(codes.ACCESS_TOKEN_INVALID, "accessToken")
        if open_id != token.open_id:
            raise IamSmartError(codes.OPENID_INVALID, "openID")
        if "eidapi_profiles" not in token.scope:
            raise IamSmartError(codes.INSUFFICIENT_SCOPE, "scope")
        profile = state.personas[token.persona_id].profile
        return {f: profile[f] for f in [*profile_fields, *eme_fields] if f in profile}

    def get_key(self, client: ClientConfig) -> dict[str, Any]:
        kek = self.state.kek(client)
        if kek is None:
            raise IamSmartError(codes.KEK_INVALID)
        cek = self.state.issue_cek(client.clientID)
        return {
            "secretKey": wrap_cek(kek, cek.key),
            "pubKey": public_key_b64(kek),
            "issueAt": cek.issue_at_ms,
            "expiresIn": cek.expires_in_ms,
        }

    def encrypted(
        self, request_headers: Mapping[str, str], body: bytes, handler: Handler
    ) -> JSONResponse:
        state = self.state
        content = _content_of(body)
        client = verify_request(state, request_headers, body, content=content)
        if content is None:
            raise IamSmartError(codes.PARAMETER_INVALID, "content")
        cek = state.current_cek(client.clientID)
        if cek is None:
            raise IamSmartError(codes.CEK_INVALID)
        try:
            payload = json.loads(decrypt_content(cek.key, content))
        except ValueError as exc:
            raise IamSmartError(codes.PARAMETER_INVALID, "content") from exc
        if not isinstance(payload, dict):
            raise IamSmartError(codes.PARAMETER_INVALID, "content")
        result = json.dumps(handler(client, payload), ensure_ascii=False).encode("utf-8")
        return envelope(codes.SUCCESS, encrypt_content(cek.key, result))


def build_router(state: IamSmartState) -> APIRouter:
    router = APIRouter()
    api = Api(state)

    @router.post("/api/v1/security/getKey")
    async def get_key(request: Request) -> JSONResponse:
        state.calls["getKey"] += 1
        try:
            client = verify_request(state, request.headers, await request.body())
            return envelope(codes.SUCCESS, api.get_key(client))
        except IamSmartError as error:
            return envelope(error.code)

    @router.post("/api/v1/security/revokeKey")
    async def revoke_key(request: Request) -> JSONResponse:
        state.calls["revokeKey"] += 1
        try:
            client = verify_request(state, request.headers, await request.body())
        except IamSmartError as error:
            return envelope(error.code)
        state.ceks.pop(client.clientID, None)
        return envelope(codes.SUCCESS)

    @router.post("/api/v1/auth/getToken")
    async def get_token(request: Request) -> JSONResponse:
        state.calls["getToken"] += 1
        try:
            return api.encrypted(request.headers, await request.body(), api.get_token)
        except IamSmartError as error:
            return envelope(error.code)

    @router.post("/api/v1/profiles")
    async def profiles(request: Request) -> JSONResponse:
        state.calls["profiles"] += 1
        try:
            return api.encrypted(request.headers, await request.body(), api.profiles)
        except IamSmartError as error:
            return envelope(error.code)

    return router
