"""The token endpoint's grants (RFC 6749 §4.1.3, §6; RFC 8693 §2), one module each.

Every grant is called with the authenticated client and the request's form and returns
the JSON body of a successful token response as a plain dict; every failure is an
`OAuthError`. `provider.token.TokenEndpoint` dispatches on `grant_type`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bridge.provider.clients import Client


class GrantHandler(Protocol):
    grant_type: str

    async def __call__(self, client: Client, form: Mapping[str, str]) -> dict[str, Any]: ...
