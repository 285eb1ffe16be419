"""The 回乡证 form that binds a signed-in iAM Smart identity to a Guangdong account.

DESIGN §2.1 step 8, protocols.md §7.2 "Binding behaviour"; the rules themselves are
in `binding.py`. The form is asked once: a bound resident never sees it again.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mock_idps.guangdong.binding import BindingRefusal, RefusalReason
from mock_idps.guangdong.forms import BadForm, clear_cookie, first, form_lists
from mock_idps.guangdong.sessions import BIND_COOKIE, SESSION_COOKIE, csrf_token, csrf_valid
from mock_idps.guangdong.web import locale_of, platform_of, redirect, retry_url, signed_in

log = logging.getLogger("mock_idps.guangdong")

# Refusals after which typing another number cannot help: sign in again instead.
_FINAL = {RefusalReason.MISSING_CLAIMS, RefusalReason.ALREADY_BOUND}


def _binding_over(request: Request, message_key: str, locale: str, resume: str | None) -> Response:
    platform = platform_of(request)
    response = platform.pages.message(
        request,
        locale=locale,
        page="error",
        title_key="bind.title",
        heading_key="bind.error.heading",
        message_key=message_key,
        error_reason=message_key.rsplit(".", 1)[-1],
        retry_url=retry_url(resume),
        status_code=400,
    )
    clear_cookie(response, BIND_COOKIE, secure=platform.config.secure_cookies)
    return response


def _bind_form(
    request: Request,
    binding_id: str,
    locale: str,
    *,
    permit_number: str = "",
    refusal: BindingRefusal | None = None,
) -> Response:
    platform = platform_of(request)
    return platform.pages.render(
        request,
        "bind.html",
        locale=locale,
        page="bind",
        status_code=200 if refusal is None else 400,
        csrf_token=csrf_token(platform.csrf_secret, "bind", binding_id),
        permit_number=permit_number,
        error_key=refusal.message_key if refusal else None,
        # The message's name, not the refusal reason: the page must not tell an
        # unknown permit number from a known one.
        error_reason=refusal.message_key.rsplit(".", 1)[-1] if refusal else None,
    )


async def bind_form(request: Request) -> Response:
    platform = platform_of(request)
    binding_id = request.cookies.get(BIND_COOKIE, "")
    pending = platform.pending_bindings.get(binding_id) if binding_id else None
    if pending is None:
        return _binding_over(request, "bind.error.expired", locale_of(request), None)
    return _bind_form(request, binding_id, locale_of(request, pending.locale))


async def bind_submit(request: Request) -> Response:
    platform = platform_of(request)
    binding_id = request.cookies.get(BIND_COOKIE, "")
    pending = platform.pending_bindings.get(binding_id) if binding_id else None
    locale = locale_of(request, pending.locale if pending else None)
    try:
        form = await form_lists(request)
    except BadForm:
        form = {}
    presented = first(form, "csrf_token") or ""
    if pending is None or not csrf_valid(platform.csrf_secret, "bind", binding_id, presented):
        return _binding_over(request, "bind.error.expired", locale, None)
    permit_number = (first(form, "permit_number") or "")[:64]
    result = platform.bindings.bind(
        platform.accounts, pending.bridge_subject, permit_number, pending.claims
    )
    if isinstance(result, BindingRefusal):
        log.info("binding refused reason=%s", result.reason.value)
        if result.reason in _FINAL:
            platform.pending_bindings.delete(binding_id)
            return _binding_over(request, result.message_key, locale, pending.resume)
        if result.reason is not RefusalReason.MALFORMED_PERMIT:
            attempts = pending.attempts + 1
            if attempts >= platform.config.binding_attempts:
                platform.pending_bindings.delete(binding_id)
                return _binding_over(request, "bind.error.too_many", locale, pending.resume)
            platform.pending_bindings.put(
                binding_id, replace(pending, attempts=attempts), platform.config.lifetimes.binding
            )
        return _bind_form(request, binding_id, locale, permit_number=permit_number, refusal=result)
    platform.pending_bindings.delete(binding_id)
    log.info("binding stored")
    session_id = platform.sign_in(result, pending.acr, pending.bridge_subject)
    response = signed_in(request, session_id, pending.resume)
    clear_cookie(response, BIND_COOKIE, secure=platform.config.secure_cookies)
    return response


async def unbind(request: Request) -> Response:
    platform = platform_of(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    signed_in = platform.session(session_id)
    try:
        form = await form_lists(request)
    except BadForm:
        form = {}
    presented = first(form, "csrf_token") or ""
    if signed_in is None or not csrf_valid(platform.csrf_secret, "session", session_id, presented):
        return redirect("/")
    subject = signed_in[0].bridge_subject
    if subject is None:  # signed in with the platform's own login: nothing is bound
        return redirect("/profile")
    platform.bindings.unbind(subject)
    platform.sign_out(session_id)
    log.info("binding removed by the resident")
    response = redirect("/")
    clear_cookie(response, SESSION_COOKIE, secure=platform.config.secure_cookies)
    return response


def binding_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/bind", bind_form, methods=["GET"])
    router.add_api_route("/bind", bind_submit, methods=["POST"])
    router.add_api_route("/unbind", unbind, methods=["POST"])
    return router
