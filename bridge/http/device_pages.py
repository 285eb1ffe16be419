"""The phone's pages of a kiosk sign-in (`/device`), rendered from what
`bridge.signin.device` answers."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.requests import Request
from starlette.responses import Response

from bridge import i18n
from bridge.browser import Redirect, bind
from bridge.http.answers import BROWSER_COOKIE, CookiePolicy, answer, browser_of
from bridge.http.pages import Pages
from bridge.signin.client import ChooseUpstream
from bridge.signin.device import Declined, KioskQuestion


def device_locale(request: Request, form: Mapping[str, str] | None = None) -> str:
    chosen = (form or {}).get("lang") or request.query_params.get("lang", "")
    return i18n.normalize(chosen) or i18n.negotiate((), request.headers.get("accept-language"))


def address_of(request: Request) -> str | None:
    """The phone's network address (behind a proxy, run uvicorn with --proxy-headers)."""
    return request.client.host if request.client else None


class DevicePages:
    def __init__(self, pages: Pages, cookies: CookiePolicy) -> None:
        self._pages = pages
        self._cookies = cookies

    def entry(self, request: Request) -> Response:
        """The form to type a code; it gives the browser its id, so that its guesses
        are counted together (a browser that drops it is still counted by address)."""
        locale = device_locale(request)
        response = self._pages.render("device_entry.html", locale=locale, request=request)
        self._set_browser(response, bind(browser_of(request)).new_id)
        return response

    def _set_browser(self, response: Response, browser_id: str | None) -> None:
        if browser_id is not None:
            response.set_cookie(
                BROWSER_COOKIE,
                browser_id,
                max_age=self._cookies.max_age,
                httponly=True,
                secure=self._cookies.secure,
                samesite="lax",
            )

    def question(self, request: Request, question: KioskQuestion) -> Response:
        locale = device_locale(request)
        response = self._pages.render(
            "device_confirm.html",
            locale=locale,
            request=request,
            kiosk_name=question.kiosk_name.get(locale),
            location=question.location.get(locale),
            user_code=question.user_code,
            csrf_token=question.csrf_token,
        )
        self._set_browser(response, question.browser_id)  # the answer must come from it
        return response

    def answered(
        self, request: Request, result: Redirect | ChooseUpstream | Declined, locale: str
    ) -> Response:
        if isinstance(result, Declined):
            return self.done(request, declined=True, locale=locale)
        return answer(result, self._pages, request, self._cookies, status=303)

    def done(self, request: Request, *, declined: bool, locale: str | None = None) -> Response:
        """After the answer: declined, or approved and consented (back to the kiosk)."""
        heading, message = ("device_done_title", "device_done")
        if declined:
            heading, message = ("device_declined_title", "device_declined")
        return self._pages.render(
            "device_result.html",
            locale=locale or device_locale(request),
            switch_url="/device/done" + ("?declined=1" if declined else ""),
            heading=heading,
            message=message,
        )
