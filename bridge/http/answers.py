"""What a browser-facing route answers with: a redirect (setting the browser-binding
cookie when a step made a new one), or a page. And the browser a request comes from."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bridge import i18n
from bridge.browser import Browser, Redirect
from bridge.http.pages import Pages
from bridge.signin.client import ChooseUpstream
from bridge.wire import NO_STORE_HEADERS

BROWSER_COOKIE = "bridge_browser"


@dataclass(frozen=True, slots=True)
class CookiePolicy:
    max_age: int
    """Long enough for a sign-in: the flow, then consent or the account session."""
    secure: bool


def browser_of(request: Request) -> Browser:
    return Browser(
        browser_id=request.cookies.get(BROWSER_COOKIE),
        user_agent=request.headers.get("user-agent"),
    )


def set_browser_cookie(response: Response, browser_id: str, cookies: CookiePolicy) -> None:
    response.set_cookie(
        BROWSER_COOKIE,
        browser_id,
        max_age=cookies.max_age,
        httponly=True,
        secure=cookies.secure,
        samesite="lax",
    )


def redirect(result: Redirect, cookies: CookiePolicy, *, status: int) -> Response:
    response = RedirectResponse(result.location, status_code=status, headers=NO_STORE_HEADERS)
    if result.browser_id is not None:
        set_browser_cookie(response, result.browser_id, cookies)
    return response


def answer(
    result: Redirect | ChooseUpstream,
    pages: Pages,
    request: Request,
    cookies: CookiePolicy,
    *,
    status: int,
) -> Response:
    """A step's result: a redirect, or the page where the resident picks an upstream."""
    if isinstance(result, Redirect):
        return redirect(result, cookies, status=status)
    chosen = i18n.normalize(request.query_params.get("lang", ""))
    locale = chosen or i18n.negotiate(result.ui_locales, request.headers.get("accept-language"))
    return pages.render(
        "choose_upstream.html",
        locale=locale,
        request=request,
        client_name=result.client_name.get(locale) if result.client_name else None,
        options=[(o.name, o.display_name.get(locale), o.url) for o in result.options],
    )
