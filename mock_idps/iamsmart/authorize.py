"""The browser side of iAM Smart sign-in: `getQR`, the QR page and the resident's decision
(docs/protocols.md §1.4, §1.5, §4.1).

Every invalid getQR request gets an error page with its D-code; the mock redirects only
to a redirectURI registered for the client, and only from a ticket that passed every check.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode

from fastapi import APIRouter, Request
from starlette.datastructures import QueryParams
from starlette.responses import RedirectResponse, Response

from mock_idps.iamsmart import codes
from mock_idps.iamsmart.catalog import LANGUAGE_NAMES
from mock_idps.iamsmart.codes import IamSmartError
from mock_idps.iamsmart.config import DEFAULT_LANG, LANGS, SOURCES
from mock_idps.iamsmart.pages import Pages
from mock_idps.iamsmart.state import IamSmartState, QrTicket

_STATE = re.compile(r"[A-Za-z0-9_-]{1,36}")
_PARAMETERS = (
    "clientID",
    "responseType",
    "source",
    "redirectURI",
    "scope",
    "lang",
    "state",
    "brokerPage",
)
_FAILURES = {
    "reject": codes.USER_REJECTED,
    "cancel": codes.USER_CANCELLED,
    "timeout": codes.AUTH_TIMEOUT,
}


def _required(params: QueryParams, name: str) -> str:
    value = params.get(name)
    if value is None:
        raise IamSmartError(codes.PARAMETER_MISSING, name)
    if value == "":
        raise IamSmartError(codes.PARAMETER_EMPTY, name)
    return value


def check_get_qr(state: IamSmartState, params: QueryParams) -> QrTicket:
    """Validate a getQR request in the order of §7.1; raise the first failure's D-code."""
    for name in _PARAMETERS:
        if len(params.getlist(name)) > 1:
            raise IamSmartError(codes.PARAMETER_INVALID, name)
    if _required(params, "responseType") != "code":
        raise IamSmartError(codes.PARAMETER_INVALID, "responseType")
    client = state.clients.get(_required(params, "clientID"))
    if client is None:
        raise IamSmartError(codes.CLIENT_UNKNOWN, "clientID")
    redirect_uri = _required(params, "redirectURI")
    if redirect_uri not in client.redirectURIs:
        raise IamSmartError(codes.REDIRECT_URI_NOT_REGISTERED, "redirectURI")
    scope = tuple(s for s in _required(params, "scope").split(" ") if s)
    if not scope or not set(scope) <= set(client.scopes):
        raise IamSmartError(codes.INSUFFICIENT_SCOPE, "scope")
    source = _required(params, "source")
    if source not in SOURCES or source not in client.sources:
        raise IamSmartError(codes.UNSUPPORTED_SOURCE, "source")
    flow_state = params.get("state")
    if flow_state is not None and not _STATE.fullmatch(flow_state):
        raise IamSmartError(codes.PARAMETER_INVALID, "state")
    lang = params.get("lang", DEFAULT_LANG)
    if lang not in LANGS:
        raise IamSmartError(codes.PARAMETER_INVALID, "lang")
    if params.get("brokerPage", "false") not in ("true", "false"):
        raise IamSmartError(codes.PARAMETER_INVALID, "brokerPage")
    return QrTicket(
        client_id=client.clientID,
        redirect_uri=redirect_uri,
        scope=scope,
        state=flow_state,
        lang=lang,
        source=source,
        created_at=state.clock(),
        broker_page=params.get("brokerPage") == "true",
    )


def language_links(params: QueryParams) -> list[tuple[str, str, str]]:
    """The same getQR request in each language: the QR page's language switcher. A new
    request makes a new ticket; the old one simply expires."""
    links = []
    for lang, name in LANGUAGE_NAMES:
        query = urlencode(
            [*((k, v) for k, v in params.multi_items() if k != "lang"), ("lang", lang)]
        )
        links.append((lang, name, f"/api/v1/auth/getQR?{query}"))
    return links


def callback_url(ticket: QrTicket, **params: str) -> str:
    if ticket.state is not None:
        params["state"] = ticket.state
    separator = "&" if "?" in ticket.redirect_uri else "?"
    return ticket.redirect_uri + separator + urlencode(params)


def qr_page(
    state: IamSmartState, pages: Pages, ticket: QrTicket, lang_links: list[tuple[str, str, str]]
) -> Response:
    """A new ticket for a checked getQR request, and the page that shows it: for a phone
    with brokerPage=true the broker page, never a QR code to scan (docs/protocols.md §1.2:
    with brokerPage=false iAM Smart shows its QR page, and so does the mock)."""
    ticket_id = state.new_ticket(ticket)
    if ticket.same_device and ticket.broker_page:
        return pages.render(
            "broker.html",
            ticket.lang,
            client_id=ticket.client_id,
            app_url=f"/api/v1/auth/app/{ticket_id}",
            lang_links=lang_links,
        )
    return pages.render(
        "qr.html",
        ticket.lang,
        client_id=ticket.client_id,
        scopes=ticket.scope,
        ticket_id=ticket_id,
        action=f"/api/v1/auth/qr/{ticket_id}",
        personas=list(state.personas.values()),
        lang_links=lang_links,
    )


def app_page(state: IamSmartState, pages: Pages, ticket: QrTicket, ticket_id: str) -> Response:
    """The iAM Smart app on the phone, simulated: the same personas and decisions as the
    QR page, returning to the browser by the same redirect."""
    return pages.render(
        "app.html",
        ticket.lang,
        client_id=ticket.client_id,
        scopes=ticket.scope,
        action=f"/api/v1/auth/qr/{ticket_id}",
        personas=list(state.personas.values()),
    )


def live_ticket(state: IamSmartState, ticket_id: str) -> QrTicket:
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        raise IamSmartError(codes.QR_EXPIRED, "ticketID")
    if ticket.consumed:
        raise IamSmartError(codes.QR_CONSUMED, "ticketID")
    return ticket


def resident_decision(state: IamSmartState, ticket: QrTicket, form: dict[str, list[str]]) -> str:
    """Where the resident's decision on a live ticket sends the browser: the client's
    redirectURI with a code or an error code. Raises `IamSmartError` for a form the QR
    page never sends."""
    action = form.get("action", [""])[0]
    persona_id = form.get("persona", [""])[0]
    if action != "approve" and action not in _FAILURES:
        raise IamSmartError(codes.PARAMETER_INVALID, "action")
    if persona_id not in state.personas:
        raise IamSmartError(codes.PARAMETER_INVALID, "persona")
    ticket.consumed = True
    if state.clock() - ticket.created_at > state.settings.qr_ticket_ttl_seconds:
        # The redirectURI was verified when the ticket was made, so the resident can
        # be sent back with the timeout rather than stranded on a dead page.
        return callback_url(ticket, error_code=codes.AUTH_TIMEOUT)
    if action in _FAILURES:
        return callback_url(ticket, error_code=_FAILURES[action])
    state.touch_persona(persona_id)
    return callback_url(ticket, code=state.new_code(ticket, persona_id))


def build_router(state: IamSmartState, pages: Pages) -> APIRouter:
    router = APIRouter()

    @router.get("/api/v1/auth/getQR")
    async def get_qr(request: Request) -> Response:
        state.calls["getQR"] += 1
        lang = request.query_params.get("lang")
        lang_links = language_links(request.query_params)
        try:
            ticket = check_get_qr(state, request.query_params)
        except IamSmartError as error:
            return pages.error(error, lang, lang_links=lang_links)
        return qr_page(state, pages, ticket, lang_links)

    @router.get("/api/v1/auth/app/{ticket_id}")
    async def open_app(ticket_id: str) -> Response:
        """ "Open iAM Smart" on the broker page: the app opens, here simulated."""
        try:
            ticket = live_ticket(state, ticket_id)
        except IamSmartError as error:
            return pages.error(error, None)
        return app_page(state, pages, ticket, ticket_id)

    @router.post("/api/v1/auth/qr/{ticket_id}")
    async def decide(ticket_id: str, request: Request) -> Response:
        """What the resident does in the app, simulated by a form on the QR page."""
        ticket = state.tickets.get(ticket_id)
        if ticket is None:
            return pages.error(IamSmartError(codes.QR_EXPIRED, "ticketID"), None)
        if ticket.consumed:
            return pages.error(IamSmartError(codes.QR_CONSUMED, "ticketID"), ticket.lang)
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        try:
            target = resident_decision(state, ticket, form)
        except IamSmartError as error:
            return pages.error(error, ticket.lang)
        return RedirectResponse(target, 302)

    return router
