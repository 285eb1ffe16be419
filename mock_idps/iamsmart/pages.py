"""HTML rendering for the resident-facing pages (QR page, error page)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from mock_idps.iamsmart.catalog import strings
from mock_idps.iamsmart.codes import IamSmartError
from mock_idps.iamsmart.config import DEFAULT_LANG, LANGS, PACKAGE_DIR


class Pages:
    def __init__(self) -> None:
        self._env = Environment(
            loader=FileSystemLoader(PACKAGE_DIR / "templates"),
            autoescape=select_autoescape(default=True),
        )

    def render(
        self, name: str, lang: str | None, status_code: int = 200, **ctx: Any
    ) -> HTMLResponse:
        chosen = lang if lang in LANGS else DEFAULT_LANG
        html = self._env.get_template(name).render(lang=chosen, t=strings(chosen), **ctx)
        return HTMLResponse(html, status_code=status_code, headers={"Cache-Control": "no-store"})

    def error(self, error: IamSmartError, lang: str | None, **ctx: Any) -> HTMLResponse:
        return self.render(
            "error.html",
            lang,
            status_code=400,
            code=error.code,
            message=error.message,
            parameter=error.parameter,
            **ctx,
        )
