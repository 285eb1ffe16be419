"""The contract every upstream identity provider connector fulfils.

A connector speaks one identity provider's own protocol and hands back an
`UpstreamIdentity`; the provider side never sees that protocol (dex's
CallbackConnector, SATOSA's BackendModule). A second IdP (Guangdong's platform) is a
new module implementing this Protocol and an entry in `registry.py`, nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol, runtime_checkable

from bridge.model import LocalizedText, UpstreamAuthRequest, UpstreamIdentity


class Connector(Protocol):
    @property
    def name(self) -> str:
        """The name used in configuration and in the callback path (`/callback/<name>`)."""
        ...

    @property
    def display_name(self) -> LocalizedText:
        """What residents call this identity provider (the chooser page, error pages);
        `display_name.en` also appears in error descriptions sent to clients, which
        RFC 6749 §5.2 limits to ASCII."""
        ...

    def authorization_url(self, request: UpstreamAuthRequest) -> str:
        """Where to send the resident's browser to sign in upstream."""
        ...

    def callback_state(self, params: Mapping[str, str]) -> str | None:
        """The bridge's state value as echoed in the upstream's callback, if any."""
        ...

    async def complete(
        self, params: Mapping[str, str], request: UpstreamAuthRequest
    ) -> UpstreamIdentity:
        """Finish the sign-in from the callback's query parameters.

        Raises `bridge.errors.UpstreamError` when the resident stopped or the upstream
        failed; the `failure` tells the two apart for the resident's error message.
        """
        ...

    async def aclose(self) -> None:
        """Release network resources."""
        ...


@runtime_checkable
class SameDevice(Protocol):
    """A connector whose identity provider signs in with an app on the resident's own
    phone (iAM Smart). On a phone the bridge first shows its own page, so the request
    to the upstream starts only once the resident pressed the button there, and the
    resident may choose another device instead."""

    def same_device(self, request: UpstreamAuthRequest) -> bool:
        """True when `request` would sign in on this device."""
        ...
