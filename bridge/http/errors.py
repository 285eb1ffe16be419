"""The one place where errors become responses (node-oidc-provider's error_handler).

API endpoints (token, userinfo) answer RFC 6749 §5.2 JSON; browser endpoints redirect
to the client only when the error carries a verified redirect_uri, and otherwise show
the resident a page. Internal detail goes to the log, never to the client.
"""

from __future__ import annotations

from urllib.parse import urlencode

import structlog
from fastapi import FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, RedirectResponse, Response

from bridge.errors import OAuthError, ServerError, StoreUnavailable, TemporarilyUnavailableError
from bridge.http.middleware import loggable_path
from bridge.http.pages import Pages
from bridge.i18n import negotiate, normalize
from bridge.provider.responses import error_redirect
from bridge.wire import NO_STORE_HEADERS

log = structlog.get_logger("bridge.http")

JSON_ERRORS = "json"


def log_oauth_error(path: str, error: OAuthError) -> None:
    event = log.error if error.status_code >= 500 else log.info
    event(
        "oauth.error",
        path=path,
        error=error.error,
        description=error.description,
        detail=error.detail,
    )


def unhandled_error(exc: Exception) -> OAuthError:
    """What a request that failed with `exc` answers: a store that did not answer is
    `temporarily_unavailable` (503, Retry-After), anything else `server_error`."""
    if isinstance(exc, StoreUnavailable):
        error = TemporarilyUnavailableError(
            "The service is temporarily unavailable, please retry", detail=str(exc)
        )
        error.retry_after = exc.retry_after
        return error
    return ServerError()


def render_error(request: Request, error: OAuthError, pages: Pages, issuer: str) -> Response:
    response = _error_response(request, error, pages, issuer)
    if error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _error_response(request: Request, error: OAuthError, pages: Pages, issuer: str) -> Response:
    log_oauth_error(loggable_path(request.scope), error)
    if getattr(request.state, "error_style", None) == JSON_ERRORS:
        headers = dict(NO_STORE_HEADERS)
        if error.www_authenticate:
            headers["WWW-Authenticate"] = error.www_authenticate
        return JSONResponse(error.body(), status_code=error.status_code, headers=headers)
    if error.redirect_uri is not None:
        status = 303 if request.method == "POST" else 302
        response = RedirectResponse(error_redirect(error, issuer=issuer), status_code=status)
        response.headers.update(NO_STORE_HEADERS)
        return response
    # The resident's language: a `lang` they chose, the client's `ui_locales` when the
    # error is about an authorization request, then Accept-Language.
    params = request.query_params
    locale = normalize(params.get("lang", "")) or negotiate(
        params.get("ui_locales", "").split()[:10], request.headers.get("accept-language")
    )
    # 413, 429 and 5xx tell the browser (and a proxy) something; other refusals are 400.
    status = (
        error.status_code if error.status_code >= 500 or error.status_code in (413, 429) else 400
    )
    message_key = error.message_key or ("error_server" if status >= 500 else "error_generic")
    request_id = getattr(request.state, "request_id", None)
    return pages.render(
        "error.html",
        locale=locale,
        status_code=status,
        # The switcher re-renders this message, not the request: its URL may carry what
        # an attacker sent (an unregistered redirect_uri), which a page must not echo.
        switch_url="/error?" + urlencode({"key": message_key, "error": error.error}),
        message_key=message_key,
        error=error.error,
        request_id=request_id,
    )


def install_error_handlers(app: FastAPI, pages: Pages, issuer: str) -> None:
    async def on_oauth_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, OAuthError)  # noqa: S101 - registered for OAuthError only
        return render_error(request, exc, pages, issuer)

    app.add_exception_handler(OAuthError, on_oauth_error)
    app.add_exception_handler(HTTPException, on_http_error)


_HTTP_ERRORS = {
    404: ("not_found", "No such endpoint"),
    405: ("invalid_request", "Method not allowed"),
}


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Routing's own errors (an unknown path, a wrong method) in the bridge's error
    shape, not the framework's `{"detail": ...}`."""
    assert isinstance(exc, HTTPException)  # noqa: S101 - registered for HTTPException only
    error, description = _HTTP_ERRORS.get(exc.status_code, ("invalid_request", "Bad request"))
    headers = dict(exc.headers or {})
    return JSONResponse(
        {"error": error, "error_description": description},
        status_code=exc.status_code,
        headers={**headers, **NO_STORE_HEADERS},
    )
