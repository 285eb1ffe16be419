"""The 回乡证 form that binds a signed-in iAM Smart identity to a Guangdong account.

docs/protocols.md §4.3; the rules themselves are
in `binding.py`. The form is asked once: a bound resident never sees it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from fastapi import APIRouter, Request
from fastapi.responses import Response

from mock_idps.guangdong.binding import BindingRefusal, RefusalReason
from mock_idps.guangdong.forms import Params, clear_cookie, first, form_or_empty
from mock_idps.guangdong.sessions import (
    BIND_COOKIE,
    SESSION_COOKIE,
    PendingBinding,
    csrf_token,
    csrf_valid,
)
from mock_idps.guangdong.state import GuangdongPlatform
from mock_idps.guangdong.web import locale_of, platform_of, redirect, retry_url, signed_in

log = logging.getLogger("mock_idps.guangdong")

# Refusals after which typing another number cannot help: sign in again instead.
_FINAL = {RefusalReason.MISSING_CLAIMS, RefusalReason.ALREADY_BOUND}


def _binding_over(request: Request, message_key: str, locale: str, resume: str | None) -> Response:
    platform = platform_of(request)
    response = platform.pages.error(
        request,
        locale=locale,
        title_key="bind.title",
        heading_key="bind.error.heading",
        message_key=message_key,
        retry_url=retry_url(resume),
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


@dataclass(frozen=True, slots=True)
class BindOutcome:
    """What a 回乡证 form leads to; exactly one of the first three fields is set."""

    session_id: str | None = None
    """Bound: the new platform session."""
    refusal: BindingRefusal | None = None
    """Refused, but the resident may type the number again."""
    over: str | None = None
    """Catalog key of why this binding cannot go on: the resident signs in again."""
    resume: str | None = None
    """The portal request that waits for the resident."""


def _permit_number(form: Params) -> str:
    return (first(form, "permit_number") or "")[:64]


def attempt_binding(
    platform: GuangdongPlatform, binding_id: str, pending: PendingBinding | None, form: Params
) -> BindOutcome:
    """Check the form's CSRF token, then bind the number it gives, or count the attempt."""
    presented = first(form, "csrf_token") or ""
    if pending is None or not csrf_valid(platform.csrf_secret, "bind", binding_id, presented):
        return BindOutcome(over="bind.error.expired")
    result = platform.bindings.bind(
        platform.accounts, pending.bridge_subject, _permit_number(form), pending.claims
    )
    if isinstance(result, BindingRefusal):
        return _refused(platform, binding_id, pending, result)
    platform.pending_bindings.delete(binding_id)
    log.info("binding stored")
    session_id = platform.sign_in(
        result, pending.acr, pending.bridge_subject, pending.bridge_sid, pending.bridge_id_token
    )
    return BindOutcome(session_id=session_id, resume=pending.resume)


def _refused(
    platform: GuangdongPlatform, binding_id: str, pending: PendingBinding, refusal: BindingRefusal
) -> BindOutcome:
    log.info("binding refused reason=%s", refusal.reason.value)
    if refusal.reason in _FINAL:
        platform.pending_bindings.delete(binding_id)
        return BindOutcome(over=refusal.message_key, resume=pending.resume)
    # A mistyped number costs no attempt: only a well-formed one can probe accounts.
    if refusal.reason is not RefusalReason.MALFORMED_PERMIT:
        attempts = pending.attempts + 1
        if attempts >= platform.config.binding_attempts:
            platform.pending_bindings.delete(binding_id)
            return BindOutcome(over="bind.error.too_many", resume=pending.resume)
        platform.pending_bindings.put(
            binding_id, replace(pending, attempts=attempts), platform.config.lifetimes.binding
        )
    return BindOutcome(refusal=refusal)


async def bind_submit(request: Request) -> Response:
    platform = platform_of(request)
    binding_id = request.cookies.get(BIND_COOKIE, "")
    pending = platform.pending_bindings.get(binding_id) if binding_id else None
    locale = locale_of(request, pending.locale if pending else None)
    form = await form_or_empty(request)
    outcome = attempt_binding(platform, binding_id, pending, form)
    if outcome.refusal is not None:
        return _bind_form(
            request, binding_id, locale, permit_number=_permit_number(form), refusal=outcome.refusal
        )
    if outcome.session_id is None:
        return _binding_over(request, outcome.over or "bind.error.expired", locale, outcome.resume)
    response = signed_in(request, outcome.session_id, outcome.resume)
    clear_cookie(response, BIND_COOKIE, secure=platform.config.secure_cookies)
    return response


async def unbind(request: Request) -> Response:
    platform = platform_of(request)
    session_id = request.cookies.get(SESSION_COOKIE, "")
    session = platform.session(session_id)
    form = await form_or_empty(request)
    presented = first(form, "csrf_token") or ""
    if session is None or not csrf_valid(platform.csrf_secret, "session", session_id, presented):
        return redirect("/")
    if not platform.remove_binding(session_id, session[0]):
        return redirect("/profile")
    response = redirect("/")
    clear_cookie(response, SESSION_COOKIE, secure=platform.config.secure_cookies)
    return response


def binding_routes() -> APIRouter:
    router = APIRouter()
    router.add_api_route("/bind", bind_form, methods=["GET"])
    router.add_api_route("/bind", bind_submit, methods=["POST"])
    router.add_api_route("/unbind", unbind, methods=["POST"])
    return router
