"""Rules every JWT from outside the bridge must pass before a key is chosen
(RFC 8725 JWT Best Current Practices §2, §3; RFC 7515 §4.1).

- The algorithm comes from an allow-list of asymmetric algorithms, never from the
  token alone: `alg: none` and HMAC "signed" with a public key (algorithm confusion,
  RFC 8725 §2.1, §3.1) are refused before any verification.
- Keys are only ever the ones configured for the issuer: a token naming its own key
  (`jwk`, `jku`, `x5u`, `x5c`) is refused, not ignored (RFC 8725 §3.10), and `kid` is
  compared as an opaque string, never used as a path or URL.
- `crit` is refused: the bridge understands no JWS extension (RFC 7515 §4.1.11).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any, Literal, get_args

from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OKPKey, RSAKey
from joserfc.jws import extract_compact

MAX_JWT_LENGTH = 8192
AsymmetricAlgorithm = Literal[
    "ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "EdDSA"
]
ASYMMETRIC_ALGORITHMS: frozenset[str] = frozenset(get_args(AsymmetricAlgorithm))
FORBIDDEN_HEADERS = frozenset({"jwk", "jku", "x5u", "x5c", "crit"})
_KEY_TYPES: dict[str, type[Any]] = {"ES": ECKey, "RS": RSAKey, "PS": RSAKey, "Ed": OKPKey}

PublicKey = ECKey | RSAKey | OKPKey


class JwtRejected(Exception):
    """A JWT failed a rule. `reason` is safe to show a client (ASCII, no token data);
    `detail` is for the log."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail or reason


def read_header(token: str, algorithms: Collection[str]) -> dict[str, Any]:
    """The protected header, after the structural and header rules above."""
    if len(token) > MAX_JWT_LENGTH:
        raise JwtRejected("The token is too large")
    if token.count(".") != 2:
        raise JwtRejected("The token is not a signed JWT (JWS compact serialization)")
    try:
        header = dict(extract_compact(token.encode("ascii")).protected)
    except (JoseError, ValueError, UnicodeError) as exc:
        raise JwtRejected("The token is malformed", str(exc)) from None
    alg = header.get("alg")
    allowed = ASYMMETRIC_ALGORITHMS & set(algorithms)
    if not isinstance(alg, str) or alg not in allowed:
        raise JwtRejected("The token's signing algorithm is not accepted", f"alg={alg!r}")
    named = FORBIDDEN_HEADERS & header.keys()
    if named:
        raise JwtRejected(
            "The token's header names its own key or extensions; refused",
            f"header parameters {sorted(named)}",
        )
    kid = header.get("kid")
    if kid is not None and (not isinstance(kid, str) or not 0 < len(kid) <= 256):
        raise JwtRejected("The token's key id is malformed", f"kid={kid!r:.80}")
    return header


def select_key(keys: Iterable[PublicKey], header: dict[str, Any]) -> PublicKey | None:
    """The one key that may verify this token: same `kid` (exact string), a key type
    that fits `alg`, meant for signatures. Without a `kid` only an unambiguous key set
    will do."""
    alg: str = header["alg"]
    kid = header.get("kid")
    key_type = _KEY_TYPES[alg[:2]]
    candidates = [
        key
        for key in keys
        if isinstance(key, key_type)
        and (kid is None or key.kid == kid)
        and key.get("use") in (None, "sig")
        and key.get("alg") in (None, alg)
        and not key.is_private
    ]
    return candidates[0] if len(candidates) == 1 else None
