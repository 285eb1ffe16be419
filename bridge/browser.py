"""The resident's browser, as every sign-in step sees it, and the answers steps give it.

A sign-in is bound to the browser that started it (login-CSRF guard): the browser
carries a random id in a cookie, and every stored record of the sign-in holds only the
SHA-256 of that id (`binding`). A step may be completed only by a browser presenting an
id with the same digest. Forms carry a CSRF token compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from bridge.errors import InvalidRequestError

_BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True)
class Browser:
    browser_id: str | None
    user_agent: str | None = None

    @property
    def short_user_agent(self) -> str | None:
        """What a stored record keeps of the user agent (connectors pick a device flow)."""
        return (self.user_agent or "")[:MAX_USER_AGENT] or None


@dataclass(frozen=True, slots=True)
class Redirect:
    """Send the browser to `location`; set `browser_id` as its cookie when not None."""

    location: str
    browser_id: str | None = None


@dataclass(frozen=True, slots=True)
class Allowed:
    """What an ending gives the browser once the resident allowed a release."""

    redirect: Redirect
    grant_id: str
    """The grant created for what was released (withdrawal revokes it)."""


@dataclass(frozen=True, slots=True)
class BoundBrowser:
    """A browser with an id, and whether the id is new (to be set as its cookie)."""

    binding: str
    new_id: str | None


def binding(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()


def bind(browser: Browser) -> BoundBrowser:
    """The browser's binding, giving it a fresh id when it has none (or a malformed one)."""
    if browser.browser_id is not None and _BROWSER_ID.match(browser.browser_id):
        return BoundBrowser(binding(browser.browser_id), None)
    new_id = secrets.token_urlsafe(32)
    return BoundBrowser(binding(new_id), new_id)


def refused(message_key: str, description: str, detail: str | None = None) -> InvalidRequestError:
    """A sign-in step the resident cannot complete: shown as a page, never redirected."""
    return InvalidRequestError(description, detail=detail, message_key=message_key)


def is_same_browser(browser: Browser, expected_binding: str) -> bool:
    return browser.browser_id is not None and hmac.compare_digest(
        binding(browser.browser_id), expected_binding
    )


def require_same_browser(browser: Browser, expected_binding: str, step: str) -> None:
    """Login CSRF guard: a step may only be completed by the browser that started it."""
    if not is_same_browser(browser, expected_binding):
        raise refused(
            "error_browser_mismatch",
            "The sign-in was started in another browser",
            detail=f"browser binding mismatch at {step}",
        )


def require_csrf(form: Mapping[str, str], expected: str, step: str) -> None:
    if not hmac.compare_digest(form.get("csrf_token", ""), expected):
        raise refused("error_csrf", "The form could not be verified", detail=f"{step} CSRF")
