"""HTML pages for residents (Jinja2, autoescaped), in their language."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
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


LANGUAGE_NAMES = (("en", "English"), ("zh-Hant", "繁體中文"), ("zh-Hans", "简体中文"))


def _language_links(
    request: Request | None, switch_url: str | None, first: str | None = None
) -> list[tuple[str, str, str]]:
    """(locale, its name in itself, link) for each language, `first` first; none after
    a POST, whose page cannot be fetched again by a link."""
    names = sorted(LANGUAGE_NAMES, key=lambda entry: entry[0] != first)
    if switch_url is not None:
        joiner = "&" if "?" in switch_url else "?"
        return [(code, name, f"{switch_url}{joiner}lang={code}") for code, name in names]
    if request is None or request.method != "GET":
        return []
    links = []
    for code, name in names:
        url = request.url.include_query_params(lang=code)
        links.append((code, name, f"{url.path}?{url.query}"))  # relative: any host name
    return links


class Pages:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(_TEMPLATES),
            autoescape=select_autoescape(["html"]),
            auto_reload=False,
        )

    def render(
        self,
        template: str,
        *,
        locale: str,
        status_code: int = 200,
        request: Request | None = None,
        switch_url: str | None = None,
        first_language: str | None = None,
        **context: Any,
    ) -> HTMLResponse:
        """Render a page; with the `request` of a GET, the page offers a language
        switcher (the same URL with `lang=`), or with `switch_url`, that URL with `lang=`
        (for pages whose own URL must not be echoed)."""

        def t(key: str, **values: str) -> str:
            text = i18n.translate(locale, key)
            return text.format(**values) if values else text

        html = self._env.get_template(template).render(
            t=t,
            locale=locale,
            html_lang=i18n.HTML_LANG[locale],
            locales=i18n.SUPPORTED,
            lang_links=_language_links(request, switch_url, first_language),
            **context,
        )
        return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
