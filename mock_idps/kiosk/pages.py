"""The kiosk's screens (Jinja2, autoescaped); texts in English and both Chinese scripts,
as a kiosk serving residents of both sides shows them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

_TEMPLATES = Path(__file__).resolve().parent / "templates"
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


class Pages:
    def __init__(self, title: str) -> None:
        self._title = title
        self._env = Environment(
            loader=FileSystemLoader(_TEMPLATES), autoescape=select_autoescape(["html"])
        )

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        html = self._env.get_template(template).render(title=self._title, **context)
        return HTMLResponse(html, status_code=status_code, headers=HEADERS)
