"""The bridge's public keys, as the platform sees them: the JWKS named by the bridge's
discovery document (`jwks_uri`, reached through `internal_url` when set), cached, and
fetched again once when an assertion names a `kid` the cached set lacks (the bridge
rotated its keys).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from mock_idps.guangdong.config import BridgeSettings
from mock_idps.guangdong.oidc_client import BridgeClient, BridgeSignInError

MAX_JWKS_BYTES = 64 * 1024


class BridgeKeysUnavailable(Exception):
    pass


class BridgeKeys:
    def __init__(
        self,
        settings: BridgeSettings,
        bridge: BridgeClient,
        http: httpx.AsyncClient,
        clock: Callable[[], float],
        lifetime: float,
    ) -> None:
        self._settings = settings
        self._bridge = bridge
        self._http = http
        self._clock = clock
        self._lifetime = lifetime
        self._keys: KeySet | None = None
        self._fetched_at = 0.0
        self.fetches = 0
        """How many times the JWKS was fetched (tests read it)."""

    def _back_channel(self, url: str) -> str:
        internal, issuer = self._settings.internal_url, self._settings.issuer
        if internal and (url == issuer or url.startswith(issuer + "/")):
            return internal + url[len(issuer) :]
        return url

    async def _fetch(self) -> KeySet:
        try:
            metadata = await self._bridge.metadata()
            response = await self._http.get(self._back_channel(str(metadata["jwks_uri"])))
        except (httpx.HTTPError, BridgeSignInError) as exc:
            raise BridgeKeysUnavailable(type(exc).__name__) from exc
        if response.status_code != 200 or len(response.content) > MAX_JWKS_BYTES:
            raise BridgeKeysUnavailable(f"JWKS: HTTP {response.status_code}")
        try:
            document: Any = response.json()
            keys = KeySet.import_key_set(cast(KeySetSerialization, document))
        except (ValueError, JoseError, TypeError, KeyError) as exc:
            raise BridgeKeysUnavailable("JWKS is not a key set") from exc
        self.fetches += 1
        self._fetched_at = self._clock()
        return keys

    async def key_set(self, kid: str) -> KeySet:
        """A key set that holds `kid` if the bridge publishes it."""
        stale = self._keys is None or self._clock() - self._fetched_at >= self._lifetime
        if stale:
            self._keys = await self._fetch()
        assert self._keys is not None  # noqa: S101 - fetched above
        if not any(key.kid == kid for key in self._keys.keys) and not stale:
            self._keys = await self._fetch()
        return self._keys
