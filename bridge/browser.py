"""The resident's browser, as every sign-in step sees it, and the answers steps give it.

A sign-in is bound to the browser that started it (login-CSRF guard): the browser
carries a random id in a cookie, and every stored record of the sign-in holds only the
SHA-256 of that id (`binding`). A step may be completed only by a browser presenting an
id with the same digest. Forms carry a CSRF token compared in constant time.

Browser ids are issued by the bridge only (`BrowserIds`): a random part and its HMAC
under a key derived from the store key, which every instance shares. A value planted in
a resident's browser by someone else (cookie fixation) is not one the bridge issued and
is replaced; a value the bridge did issue to the attacker is replaced when the resident
signs in to their own account (rotation), so the attacker's copy opens nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from bridge.errors import InvalidRequestError

_BROWSER_ID = re.compile(r"^([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{22})$")
MAX_USER_AGENT = 512


@dataclass(frozen=True, slots=True)
class Browser:
    browser_id: str | None
    user_agent: str | None = None
    address: str | None = None
    """The network address it comes from (rate limits per address)."""

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


class BrowserIds:
    """Issues browser ids and recognises the ones it issued."""

    def __init__(self, secret: str) -> None:
        self._key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"gba-bridge browser id v1"
        ).derive(secret.encode("utf-8"))

    def _mac(self, random_part: str) -> str:
        digest = hmac.new(self._key, random_part.encode("ascii"), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode("ascii")

    def issue(self) -> str:
        random_part = secrets.token_urlsafe(32)
        return f"{random_part}.{self._mac(random_part)}"

    def is_issued(self, value: str | None) -> bool:
        match = _BROWSER_ID.match(value or "")
        return match is not None and hmac.compare_digest(self._mac(match[1]), match[2])

    def bind(self, browser: Browser) -> BoundBrowser:
        """The browser's binding, giving it a fresh id unless it presents one the bridge
        issued (none, a malformed one, or one planted by someone else)."""
        if browser.browser_id is not None and self.is_issued(browser.browser_id):
            return BoundBrowser(binding(browser.browser_id), None)
        new_id = self.issue()
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
