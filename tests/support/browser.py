"""A scripted resident: a real HTTP client with a cookie jar that follows redirects one
hop at a time (so tests can stop between hops) and submits HTML forms the way a browser
would, by the button a person would press."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
from bs4 import BeautifulSoup, Tag

from tests.support.client_tls import TRUSTED


@dataclass
class Page:
    response: httpx.Response
    hops: list[httpx.Response] = field(default_factory=list)

    @property
    def url(self) -> str:
        return str(self.response.url)

    @property
    def status(self) -> int:
        return self.response.status_code

    @property
    def html(self) -> BeautifulSoup:
        return BeautifulSoup(self.response.text, "html.parser")

    @property
    def text(self) -> str:
        return self.html.get_text(" ", strip=True)

    def query(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(urlsplit(self.url).query).items()}


class Resident:
    def __init__(
        self,
        *,
        accept_language: str = "en",
        user_agent: str | None = None,
        verify: ssl.SSLContext | bool = TRUSTED,
        keep_alive: bool = True,
    ) -> None:
        """`keep_alive=False`: a new connection per request, so behind a round-robin
        balancer consecutive steps reach different instances."""
        headers = {"Accept-Language": accept_language}
        headers["User-Agent"] = user_agent or (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Safari/537.36"
        )
        limits = httpx.Limits() if keep_alive else httpx.Limits(max_keepalive_connections=0)
        self.http = httpx.Client(
            headers=headers, timeout=30, follow_redirects=False, verify=verify, limits=limits
        )

    def close(self) -> None:
        self.http.close()

    def step(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        return self.http.request(method, url, **kwargs)  # type: ignore[arg-type]

    def follow(self, response: httpx.Response, *, stop_at: str | None = None) -> Page:
        """Follow redirects like a browser; stop before requesting a URL that starts
        with `stop_at` (the redirect that would go there is the returned page)."""
        hops: list[httpx.Response] = []
        for _ in range(20):
            if response.status_code not in (301, 302, 303, 307, 308):
                return Page(response, hops)
            location = urljoin(str(response.url), response.headers["location"])
            if stop_at is not None and location.startswith(stop_at):
                return Page(response, hops)
            hops.append(response)
            method = "GET" if response.status_code in (301, 302, 303) else response.request.method
            response = self.http.request(method, location)
        raise AssertionError("too many redirects")

    def open(self, url: str, *, stop_at: str | None = None) -> Page:
        return self.follow(self.http.get(url), stop_at=stop_at)

    def submit(
        self,
        page: Page,
        *,
        form: Tag | None = None,
        button: tuple[str, str] | None = None,
        fields: dict[str, str] | None = None,
        stop_at: str | None = None,
    ) -> Page:
        """Submit a form of the page (the only one, or `form`), pressing `button`
        (name, value) and filling `fields`, as a browser would encode it."""
        if form is None:
            forms = page.html.find_all("form")
            assert len(forms) == 1, f"expected one form on {page.url}, found {len(forms)}"
            form = forms[0]
        data: dict[str, str] = {}
        for element in form.find_all(["input", "select", "textarea"]):
            name = element.get("name")
            if not name or element.get("type") in ("submit", "button", "image"):
                continue
            if element.get("type") in ("checkbox", "radio") and not element.has_attr("checked"):
                continue  # a browser sends only the boxes that are ticked
            data[str(name)] = str(element.get("value") or "")
        if button is not None:
            data[button[0]] = button[1]
        data.update(fields or {})
        action = urljoin(page.url, str(form.get("action") or page.url))
        method = str(form.get("method") or "get").upper()
        if method == "POST":
            response = self.http.post(action, data=data)
        else:
            response = self.http.get(action, params=data)
        return self.follow(response, stop_at=stop_at)
