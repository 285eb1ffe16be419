"""How a client sign-in ends, by the kind of ending its request asked for.

An ending turns the resident's decision into the client's answer: allowed, the bridge
issues what the client waits for (an authorization code in a redirect, a device
approval a kiosk polls for); refused or
failed, the client hears an OAuth error the ending knows how to deliver. The consent
step and the completers never know which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bridge.browser import Allowed
from bridge.errors import OAuthError
from bridge.model import Ending as EndingRecord
from bridge.model import PendingConsent


class Ending(Protocol):
    async def allow(self, pending: PendingConsent) -> Allowed:
        """Issue what the client receives for the released claims."""
        ...

    async def refuse(self, ending: EndingRecord, error: OAuthError) -> OAuthError:
        """`error`, made deliverable to the client that asked (a redirect target, or a
        denial the polling kiosk will read)."""
        ...


class Endings:
    def __init__(self, endings: Mapping[str, Ending]) -> None:
        self._endings = endings

    def __getitem__(self, kind: str) -> Ending:
        return self._endings[kind]

    async def allow(self, pending: PendingConsent) -> Allowed:
        return await self._endings[pending.ending.kind].allow(pending)

    async def refuse(self, ending: EndingRecord, error: OAuthError) -> OAuthError:
        return await self._endings[ending.kind].refuse(ending, error)
