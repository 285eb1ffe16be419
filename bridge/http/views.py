"""The consent page, rendered for the direction the sign-in takes: the claims by the
rules of (the upstream the resident used, the client's downstream), the identity
provider that confirmed who they are, and where the information goes."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from bridge import i18n
from bridge.consent.view import build_view
from bridge.http.pages import Pages
from bridge.model import PendingConsent
from bridge.provider.clients import Client
from bridge.signin.client import ClientSignIns
from bridge.signin.consent import remembers
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

    def render(self, pending: PendingConsent, client: Client, request: Request) -> Response:
        """The page in the resident's language: one they chose, else the client's
        `ui_locales`, else Accept-Language, else the direction's own first language
        (Simplified Chinese for PIPL consent, which Mainland residents read)."""
        mapper = self._signins.mapper(pending.upstream, client)
        pipl = mapper.rules.consent is not None and mapper.rules.consent.regime == "pipl"
        first = "zh-Hans" if pipl else None
        chosen = i18n.normalize(request.query_params.get("lang", ""))
        locale = chosen or i18n.negotiate(
            pending.request.ui_locales,
            request.headers.get("accept-language"),
            default=first or i18n.DEFAULT,
        )
        connector = self._connectors.get(pending.upstream)
        view = build_view(
            pending,
            client,
            mapper,
            locale,
            idp_name=connector.display_name.get(locale) if connector else pending.upstream,
            remember_days=self._remember_days if remembers(pending) else 0,
            offline_days=self._offline_days,
        )
        return self._pages.render(
            "consent.html", locale=locale, request=request, view=view, first_language=first
        )
