"""The registration endpoints (RFC 7591 §3, RFC 7592 §2) as handlers of the API layer
(`bridge.http.api`): parse, call `Registration`, render. Errors are RFC 7591 §3.2.2
JSON; a missing or wrong token is RFC 6750 `invalid_token` with a challenge."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from bridge.errors import InvalidClientMetadataError, InvalidRequestError
from bridge.http.forms import read_capped
from bridge.provider.bearer import bearer_token
from bridge.provider.registration import REGISTER_PATH, Registration

if TYPE_CHECKING:
    from bridge.http.api import ApiRequest, Result

JSON_CONTENT_TYPE = "application/json"
MANAGED_METHODS = frozenset({"GET", "PUT", "DELETE"})


async def _metadata(request: ApiRequest) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_CONTENT_TYPE:
        raise InvalidRequestError(f"Content-Type must be {JSON_CONTENT_TYPE}")
    try:
        metadata = orjson.loads(await read_capped(request.chunks()))
    except orjson.JSONDecodeError:
        raise InvalidClientMetadataError("The request body is not JSON") from None
    if not isinstance(metadata, dict):
        raise InvalidClientMetadataError("The request body must be a JSON object")
    return metadata


async def register(registration: Registration, request: ApiRequest) -> Result:
    token = bearer_token(request.authorization)
    return 201, await registration.register(token, await _metadata(request))


async def manage(registration: Registration, request: ApiRequest) -> Result:
    client_id = request.path.removeprefix(f"{REGISTER_PATH}/")
    token = bearer_token(request.authorization)
    if request.method == "GET":
        return 200, await registration.read(client_id, token)
    if request.method == "PUT":
        return 200, await registration.update(client_id, token, await _metadata(request))
    await registration.delete(client_id, token)
    return 204, None
