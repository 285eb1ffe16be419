"""The resident's own consents page (`GET /consents`): the consents the bridge remembers
for them, each one withdrawable, or, before they sign in, a way in through each identity
provider. (The consent asked during a client's sign-in is `views.ConsentPages`.)"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.responses import Response

from bridge.claims.directions import Directions
from bridge.consent.listing import build_rows
from bridge.http.pages import Pages
from bridge.provider.clients import ClientRegistry
from bridge.signin.client import ChooseUpstream
from bridge.store.consents import RememberedConsent


class ConsentsPage:
    def __init__(self, *, clients: ClientRegistry, directions: Directions, pages: Pages) -> None:
        self._clients = clients
        self._directions = directions
        self._pages = pages

    def sign_in(
        self, request: Request, locale: str, choices: ChooseUpstream, *, signed_out: bool
    ) -> Response:
        """Before the resident is signed in: one button per identity provider."""
        return self._pages.render(
            "consents_signin.html",
            locale=locale,
            request=request,
            signed_out=signed_out,
            options=[(o.name, o.display_name.get(locale), o.url) for o in choices.options],
        )

    def listing(
        self,
        request: Request,
        locale: str,
        remembered: Iterable[RememberedConsent],
        csrf_token: str,
        *,
        withdrawn: str,
    ) -> Response:
        """The remembered consents; `withdrawn` names the client whose consent was just
        withdrawn, shown by its name when it is a registered client."""
        client = self._clients.get(withdrawn)
        return self._pages.render(
            "consents.html",
            locale=locale,
            request=request,
            rows=build_rows(remembered, self._clients, self._directions, locale),
            csrf_token=csrf_token,
            withdrawn=client.name.get(locale) if client else None,
        )
