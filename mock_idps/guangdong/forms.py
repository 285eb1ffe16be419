"""Reading request parameters as lists, so repeated parameters can be refused.

Form bodies are parsed here rather than by Starlette, whose form parser needs the
`python-multipart` package for what is only ever a small urlencoded body.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import Request
from fastapi.responses import Response

MAX_FORM_BYTES = 8192
_MAX_FIELDS = 32

Params = dict[str, list[str]]


class BadForm(Exception):
    """The body is not a small urlencoded form."""


def query_lists(request: Request) -> Params:
    params: Params = {}
    for name, value in request.query_params.multi_items():
        params.setdefault(name, []).append(value)
    return params


async def form_lists(request: Request) -> Params:
    content_type = request.headers.get("content-type", "")
    if content_type.split(";")[0].strip().lower() != "application/x-www-form-urlencoded":
        raise BadForm("content type")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_FORM_BYTES):
        raise BadForm("too large")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise BadForm("too large")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=_MAX_FIELDS)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadForm("malformed") from exc


async def form_or_empty(request: Request) -> Params:
    """The form, or no fields at all when the body is not a small urlencoded form: every
    field then reads as missing, which fails the form's CSRF check."""
    try:
        return await form_lists(request)
    except BadForm:
        return {}


def first(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[0] if values else None


def set_cookie(
    response: Response, name: str, value: str, *, max_age: int | None, secure: bool
) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=secure, httponly=True, samesite="lax"
    )


def clear_cookie(response: Response, name: str, *, secure: bool) -> None:
    response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="lax")
