"""Where the public keys of someone else's JWTs come from: a JWK Set given inline in
configuration, or fetched from a `jwks_uri` (RFC 7517 §5; OIDC Core §10.1.1; RFC 7591
§2 `jwks`/`jwks_uri`).

A fetched set is cached for `ttl` seconds and fetched again once when a token names a
`kid` it lacks (the issuer rotated), but not more often than every `cooldown` seconds:
a stream of tokens with made-up `kid`s must not turn the bridge into a load generator
against the issuer (hydra #2535, dex #2759). Fetches have a timeout and a size cap,
run one at a time per source, and a failed refresh keeps the last good set.
"""

from __future__ import annotations

import asyncio
import json
import warnings
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

import httpx
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import ECKey, OKPKey, RSAKey, import_key

from bridge.clock import Clock
from bridge.tokens.jose_rules import JwtRejected, PublicKey, select_key

MAX_JWKS_BYTES = 64 * 1024
MAX_KEYS = 20


class KeysUnavailable(Exception):
    """The key set could not be fetched (network, status, size or format)."""


def parse_jwks(document: Any) -> tuple[tuple[PublicKey, ...], list[str]]:
    """The usable public signing keys of a JWK Set, and what was wrong with the rest."""
    if not isinstance(document, Mapping) or not isinstance(document.get("keys"), list):
        return (), ["not a JWK Set (an object with a 'keys' list)"]
    keys: list[PublicKey] = []
    problems: list[str] = []
    for index, entry in enumerate(document["keys"][:MAX_KEYS]):
        if not isinstance(entry, Mapping) or entry.get("kty") not in ("EC", "RSA", "OKP"):
            problems.append(f"key {index}: only asymmetric keys are accepted")
            continue
        try:
            with warnings.catch_warnings():
                # joserfc warns about weak keys (e.g. RSA under 2048 bits): refuse them.
                warnings.simplefilter("error", SecurityWarning)
                key = import_key(dict(entry))
        except (JoseError, ValueError, TypeError, KeyError, SecurityWarning) as exc:
            problems.append(f"key {index}: {exc}")
            continue
        if not isinstance(key, ECKey | RSAKey | OKPKey):
            problems.append(f"key {index}: only asymmetric keys are accepted")
        elif key.is_private:
            problems.append(f"key {index}: holds a private key; publish only the public half")
        else:
            keys.append(key)
    return tuple(keys), problems


class KeySource(Protocol):
    async def keys(self, *, refresh: bool = False) -> Sequence[PublicKey]: ...


class InlineKeys:
    def __init__(self, keys: Sequence[PublicKey]) -> None:
        self._keys = tuple(keys)

    async def keys(self, *, refresh: bool = False) -> Sequence[PublicKey]:
        return self._keys


class RemoteJwks:
    def __init__(
        self,
        url: str,
        http: httpx.AsyncClient,
        clock: Clock,
        *,
        ttl: float,
        cooldown: float = 10.0,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._http = http
        self._clock = clock
        self._ttl = ttl
        self._cooldown = cooldown
        self._timeout = timeout
        self._keys: tuple[PublicKey, ...] | None = None
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def keys(self, *, refresh: bool = False) -> Sequence[PublicKey]:
        async with self._lock:
            age = self._clock.now() - self._fetched_at
            stale = self._keys is None or age >= self._ttl
            if stale or (refresh and age >= self._cooldown):
                try:
                    self._keys = await self._fetch()
                    self._fetched_at = self._clock.now()
                except KeysUnavailable:
                    if stale:
                        raise
            assert self._keys is not None  # noqa: S101 - set above or raised
            return self._keys

    async def _fetch(self) -> tuple[PublicKey, ...]:
        body = bytearray()
        try:
            request = self._http.build_request(
                "GET", self.url, headers={"Accept": "application/json"}, timeout=self._timeout
            )
            response = await self._http.send(request, stream=True)
            try:
                if response.status_code != 200:
                    raise KeysUnavailable(f"{self.url}: HTTP {response.status_code}")
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise KeysUnavailable(f"{self.url}: larger than {MAX_JWKS_BYTES} bytes")
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            raise KeysUnavailable(f"{self.url}: {type(exc).__name__}") from exc
        try:
            document = json.loads(bytes(body))
        except ValueError:
            raise KeysUnavailable(f"{self.url}: not JSON") from None
        keys, problems = parse_jwks(document)
        if not keys:
            raise KeysUnavailable(f"{self.url}: no usable key ({'; '.join(problems)[:200]})")
        return keys


async def key_for(source: KeySource, header: dict[str, Any]) -> PublicKey:
    """The key for a token's header, refetching the set once if the `kid` is new."""
    try:
        key = select_key(await source.keys(), header)
        if key is None:
            key = select_key(await source.keys(refresh=True), header)
    except KeysUnavailable as exc:
        raise JwtRejected("The issuer's keys are unavailable", str(exc)) from None
    if key is None:
        raise JwtRejected(
            "The token is signed with an unknown key", f"kid={header.get('kid')!r:.80}"
        )
    return key
