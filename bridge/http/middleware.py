"""Request ids, one access-log line per request, and the last-resort answer: 503 with
Retry-After when a store did not answer, otherwise 500.

A pure ASGI middleware (not BaseHTTPMiddleware, which costs a task per request). The
access log records the path without its query string: query strings carry codes and
state values, which do not belong in logs. A path with a secret in it (a consent
interaction id) is logged as its route's template (`/consent/{interaction_id}`).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterable

import structlog
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bridge.errors import StoreUnavailable

log = structlog.get_logger("bridge.http")
MAX_LOGGED_PATH = 120
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def loggable_path(scope: Scope) -> str:
    """The matched route's template, else the path, cut short (an unknown path is the
    sender's text, not ours, but a log line has no room for a megabyte of it)."""
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    if isinstance(template, str):
        return template
    path = str(scope.get("path", ""))
    return path if len(path) <= MAX_LOGGED_PATH else path[:MAX_LOGGED_PATH] + "..."


def request_id_of(headers: Iterable[tuple[bytes, bytes]]) -> str:
    """The caller's X-Request-Id when it is a plausible one, else a fresh id."""
    incoming = dict(headers).get(b"x-request-id", b"").decode("latin-1")
    return incoming if _REQUEST_ID.match(incoming) else secrets.token_hex(8)


class RequestContextMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        *,
        on_error: Callable[[Request, Exception], Response],
    ) -> None:
        self.app = app
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", []).append(
                    (b"x-request-id", request_id.encode("latin-1"))
                )
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if isinstance(exc, StoreUnavailable):  # an outage, not a bug: no stack trace
                log.warning("store.unavailable", path=loggable_path(scope), error=str(exc))
            else:
                log.exception("http.unhandled", path=loggable_path(scope))
            if not response_started:
                request = Request(scope)
                await self.on_error(request, exc)(scope, receive, send_with_id)
        finally:
            log.info(
                "http.request",
                method=scope.get("method"),
                path=loggable_path(scope),
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )
            structlog.contextvars.unbind_contextvars("request_id")
