"""Rendering the resident's pages: Jinja2 templates, the catalog, safe headers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from mock_idps.guangdong.config import PACKAGE_DIR
from mock_idps.guangdong.i18n import LOCALES, Catalog

LOCALE_LABELS = {"zh-Hans": "简体", "zh-Hant": "繁體", "en": "English"}

# Pages carry codes in their URL (the callback) and personal data in their body: keep
# them out of caches, other sites' frames and Referer headers.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _with_lang(request: Request, locale: str) -> str:
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

    def text(self, locale: str, key: str, **values: str) -> str:
        return self.catalog.text(locale, key, **values)

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
        def t(key: str, **values: str) -> str:
            return self.catalog.text(locale, key, **values)

        lang_links = [(code, LOCALE_LABELS[code], _with_lang(request, code)) for code in LOCALES]
        body = self._env.get_template(template).render(
            t=t, locale=locale, page=page, lang_links=lang_links, **context
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
        error_reason: str | None = None,
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
            error_reason=error_reason,
            retry_url=retry_url,
        )

    def error(
        self,
        request: Request,
        *,
        locale: str,
        title_key: str,
        heading_key: str,
        message_key: str,
        retry_url: str | None = None,
        status_code: int = 400,
    ) -> HTMLResponse:
        """An error page; its `error_reason`, which tests and scripts read, is the last
        part of the message's catalog key (`bind.error.expired` → `expired`)."""
        return self.message(
            request,
            locale=locale,
            page="error",
            title_key=title_key,
            heading_key=heading_key,
            message_key=message_key,
            error_reason=message_key.rsplit(".", 1)[-1],
            retry_url=retry_url,
            status_code=status_code,
        )
