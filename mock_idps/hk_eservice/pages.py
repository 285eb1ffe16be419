"""Rendering the resident's pages: Jinja2 templates, the catalog, safe headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mock_idps.hk_eservice.config import PACKAGE_DIR
from mock_idps.hk_eservice.i18n import LOCALE_NAMES, LOCALES, Catalog

# The callback page's URL carries a code and the profile page personal data: keep
# them out of caches, other sites' frames and Referer headers.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'"
    ),
}

_TIMES = frozenset({"auth_time", "updated_at", "iat", "exp"})


def display_value(name: str, value: Any) -> str:
    """A claim value as a resident reads it: times in UTC, lists joined, objects as JSON."""
    if name in _TIMES and isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _switch_to(request: Request, locale: str) -> str:
    # Relative, so the link works under whatever host name the browser used.
    url = request.url.include_query_params(lang=locale)
    return f"{url.path}?{url.query}"


class Pages:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._env = Environment(
            loader=FileSystemLoader(PACKAGE_DIR / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
        )

    def render(
        self,
        request: Request,
        template: str,
        *,
        locale: str,
        page: str,
        status_code: int = 200,
        **context: Any,
    ) -> HTMLResponse:
        def t(key: str) -> str:
            return self.catalog.text(locale, key)

        def label(claim: str) -> str:
            key = f"claim.{claim}"
            return t(key) if key in self.catalog.keys(locale) else claim

        switcher = [(code, LOCALE_NAMES[code], _switch_to(request, code)) for code in LOCALES]
        body = self._env.get_template(template).render(
            t=t,
            label=label,
            shown=display_value,
            locale=locale,
            page=page,
            switcher=switcher,
            **context,
        )
        return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)

    def message(
        self,
        request: Request,
        *,
        locale: str,
        page: str,
        title_key: str,
        heading_key: str,
        message_key: str | None = None,
        error_kind: str | None = None,
        bridge_error: str | None = None,
        bridge_description: str | None = None,
        retry_url: str | None = None,
        status_code: int = 200,
    ) -> HTMLResponse:
        """A page that says one thing, with a way back (errors, signed out)."""
        return self.render(
            request,
            "message.html",
            locale=locale,
            page=page,
            status_code=status_code,
            title_key=title_key,
            heading_key=heading_key,
            message_key=message_key,
            error_kind=error_kind,
            bridge_error=bridge_error,
            bridge_description=bridge_description,
            retry_url=retry_url,
        )
