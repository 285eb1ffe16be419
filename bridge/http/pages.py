"""HTML pages for residents (Jinja2, autoescaped), in their language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from bridge import i18n

_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# form-action must allow the clients' origins: browsers apply it to the redirect that
# follows the consent form, which leaves for the client's registered redirect_uri.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'self' 'unsafe-inline'; "
    "form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


class Pages:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )

    def render(
        self, template: str, *, locale: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        def t(key: str, **values: str) -> str:
            text = i18n.translate(locale, key)
            return text.format(**values) if values else text

        html = self._env.get_template(template).render(
            t=t,
            locale=locale,
            html_lang=i18n.HTML_LANG[locale],
            locales=i18n.SUPPORTED,
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
