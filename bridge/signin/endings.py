"""How a client sign-in ends, by the kind of ending its request asked for.

An ending turns the resident's decision into the client's answer: allowed, the bridge
issues what the client waits for (an authorization code in a redirect); refused or
failed, the client hears an OAuth error the ending knows how to deliver. The consent
step and the completers never know which.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from bridge.browser import Allowed
from bridge.errors import OAuthError
from bridge.model import CodeEnding, PendingConsent


class Ending(Protocol):
    async def allow(self, pending: PendingConsent) -> Allowed:
        """Issue what the client receives for the released claims."""
        ...

    def refuse(self, ending: CodeEnding, error: OAuthError) -> OAuthError:
        """`error`, made deliverable to the client that asked (a redirect target)."""
        ...


class Endings:
    def __init__(self, endings: Mapping[str, Ending]) -> None:
        self._endings = endings

    def __getitem__(self, kind: str) -> Ending:
        return self._endings[kind]

    async def allow(self, pending: PendingConsent) -> Allowed:
        return await self._endings[pending.ending.kind].allow(pending)

    def refuse(self, ending: CodeEnding, error: OAuthError) -> OAuthError:
        return self._endings[ending.kind].refuse(ending, error)
