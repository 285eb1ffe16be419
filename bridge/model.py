"""Neutral types shared by the provider side and the upstream side.

`provider/` and `upstream/` never import each other; they meet through these values
(the same idea as SATOSA's InternalData and dex's connector.Identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class UpstreamAuthRequest:
    """What a connector needs to send the resident to its identity provider."""

    state: str
    """Opaque value the upstream echoes back; the bridge's key for the flow state."""
    ui_locales: tuple[str, ...] = ()
    """BCP 47 tags in order of preference (from the client's `ui_locales`)."""
    user_agent: str | None = None
    """The resident's browser, so a connector can pick a device-specific flow."""
    fields: tuple[str, ...] = ()
    """Upstream profile fields the release policy needs (data minimisation)."""


@dataclass(frozen=True, slots=True)
class UpstreamIdentity:
    """Who the upstream identity provider says signed in, in its own vocabulary.

    `attributes` holds personal data exactly as the upstream returned it; it is
    only read by claim mapping and never logged or stored unencrypted.
    """

    idp: str
    subject: str
    """The upstream's stable identifier for this resident (iAM Smart: openID)."""
    attributes: Mapping[str, Any] = field(default_factory=dict)
