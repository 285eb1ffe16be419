"""The consent page, rendered for the direction the sign-in takes: the claims by the
rules of (the upstream the resident used, the client's downstream), the identity
provider that confirmed who they are, and where the information goes."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from bridge.consent.view import build_view
from bridge.http.pages import Pages
from bridge.model import PendingConsent
from bridge.provider.clients import Client
from bridge.signin.client import ClientSignIns
from bridge.upstream.base import Connector


class ConsentPages:
    def __init__(
        self,
        *,
        signins: ClientSignIns,
        connectors: Mapping[str, Connector],
        pages: Pages,
        remember_days: int,
        offline_days: int,
    ) -> None:
        self._signins = signins
        self._connectors = connectors
        self._pages = pages
        self._remember_days = remember_days
        self._offline_days = offline_days

    def render(
        self, pending: PendingConsent, client: Client, locale: str, request: Request
    ) -> Response:
        connector = self._connectors.get(pending.upstream)
        view = build_view(
            pending,
            client,
            self._signins.mapper(pending.upstream, client),
            locale,
            idp_name=connector.display_name.get(locale) if connector else pending.upstream,
            remember_days=self._remember_days,
            offline_days=self._offline_days,
        )
        return self._pages.render("consent.html", locale=locale, request=request, view=view)
