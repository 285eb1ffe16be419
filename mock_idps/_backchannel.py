"""Receiving the bridge's back-channel logout (OIDC Back-Channel Logout 1.0 §2.6), shared
by the mocks that sign residents in through it.

The logout token is verified with joserfc against the bridge's JWKS, every rule of §2.6
explicit: `typ` logout+jwt (§2.4's explicit typing), an asymmetric algorithm, the
signature, `iss`, `aud`, `iat` recent, `exp`, `jti` used once, `events` naming the
back-channel logout with an object, `sid` or `sub`, and no `nonce` (so an ID token can
never pass for a logout token). The caller ends the sessions the notice names: by `sid`
when it carries one, never by `sub` alone then. Sids it has seen logged out are
remembered for a while, so a session the browser is still bringing back (the code not
yet redeemed when the notice arrived) is refused rather than opened.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jws import JWSRegistry, extract_compact

from mock_idps._id_token import CLOCK_SKEW, SAFE_ALGORITHMS
from mock_idps._oidc_rp import RelyingParty, SignInError

EVENT = "http://schemas.openid.net/event/backchannel-logout"
MAX_AGE = 300
"""How old (`iat`) a logout token may be, seconds."""
MAX_TOKEN = 8192


class LogoutRejected(Exception):
    """The logout token is not valid (§2.8: answer 400)."""


@dataclass(frozen=True, slots=True)
class LogoutNotice:
    sid: str | None
    sub: str | None


class LogoutReceiver:
    def __init__(self, bridge: RelyingParty, client_id: str, clock: Callable[[], float]) -> None:
        self._bridge = bridge
        self._client_id = client_id
        self._clock = clock
        self._seen_jti: dict[str, float] = {}
        self._ended_sids: dict[str, float] = {}

    async def verify(self, token: str) -> LogoutNotice:
        if not token or len(token) > MAX_TOKEN:
            raise LogoutRejected("no logout token")
        try:
            header = extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as exc:
            raise LogoutRejected("malformed") from exc
        if header.get("typ") != "logout+jwt" or header.get("alg") not in SAFE_ALGORITHMS:
            raise LogoutRejected("typ or alg")
        claims = await self._signed(token, str(header["alg"]))
        return self._checked(claims)

    async def _signed(self, token: str, alg: str) -> dict[str, Any]:
        registry = JWSRegistry(algorithms=[alg], strict_check_header=False)

        def decode(jwks: Mapping[str, Any]) -> dict[str, Any]:
            keys = KeySet.import_key_set(cast(KeySetSerialization, dict(jwks)))
            return dict(jwt.decode(token, keys, registry=registry).claims)

        try:
            try:
                return decode(await self._bridge.key_set())
            except InvalidKeyIdError:
                return decode(await self._bridge.key_set(refresh=True))
        except (JoseError, ValueError, SignInError) as exc:
            raise LogoutRejected(f"signature: {type(exc).__name__}") from exc

    def _checked(self, claims: Mapping[str, Any]) -> LogoutNotice:
        now = self._clock()
        registry = jwt.JWTClaimsRegistry(
            now=lambda: int(now),
            leeway=CLOCK_SKEW,
            iss={"essential": True, "value": self._bridge.issuer},
            aud={"essential": True, "value": self._client_id},
            iat={"essential": True},
            exp={"essential": True},
            jti={"essential": True},
        )
        try:
            registry.validate(dict(claims))
        except JoseError as exc:
            raise LogoutRejected(f"claims: {type(exc).__name__}") from exc
        if now - float(claims["iat"]) > MAX_AGE:
            raise LogoutRejected("iat too old")
        events = claims.get("events")
        if not isinstance(events, dict) or not isinstance(events.get(EVENT), dict):
            raise LogoutRejected("events")
        if "nonce" in claims:
            raise LogoutRejected("nonce present")
        sid, sub = claims.get("sid"), claims.get("sub")
        if not isinstance(sid, str) and not isinstance(sub, str):
            raise LogoutRejected("neither sid nor sub")
        self._forget_old(now)
        jti = str(claims["jti"])
        if jti in self._seen_jti:
            raise LogoutRejected("jti replayed")
        self._seen_jti[jti] = now + MAX_AGE + CLOCK_SKEW
        if isinstance(sid, str):
            self._ended_sids[sid] = now + 3600
        return LogoutNotice(
            sid if isinstance(sid, str) else None, sub if isinstance(sub, str) else None
        )

    def ended(self, sid: object) -> bool:
        """Whether a notice already ended bridge session `sid` (the logout/redirect race)."""
        return isinstance(sid, str) and self._ended_sids.get(sid, 0) > self._clock()

    def _forget_old(self, now: float) -> None:
        self._seen_jti = {j: t for j, t in self._seen_jti.items() if t > now}
        self._ended_sids = {s: t for s, t in self._ended_sids.items() if t > now}


def matches(notice: LogoutNotice, sid: object, sub: object) -> bool:
    """§2.7: a notice with `sid` ends that session only (and its `sub`, if given, must
    agree); one with only `sub` ends every session of that resident."""
    if notice.sid is not None:
        return sid == notice.sid and (notice.sub is None or sub == notice.sub)
    return sub == notice.sub
