"""`GET /error`: an error page again, in another language (the error pages' language
switcher). It renders only messages the catalog has, with an error code of the RFC 6749
alphabet, so nothing a link carries is shown as given."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from bridge import i18n
from bridge.http.pages import Pages

_ERROR_CODE = re.compile(r"[a-z_]{1,40}")


def error_routes(pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/error")
    async def error_again(request: Request) -> Response:
        return render_again(request, pages)

    return router


def render_again(request: Request, pages: Pages) -> Response:
    params = request.query_params
    key = params.get("key", "")
    if not key.startswith("error_") or key not in i18n.messages("en"):
        key = "error_generic"
    code = params.get("error", "")
    locale = i18n.normalize(params.get("lang", "")) or i18n.negotiate(
        (), request.headers.get("accept-language")
    )
    return pages.render(
        "error.html",
        locale=locale,
        status_code=400,
        request=request,
        message_key=key,
        error=code if _ERROR_CODE.fullmatch(code) else "invalid_request",
        request_id=None,
    )
