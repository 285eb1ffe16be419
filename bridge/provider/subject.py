"""Pairwise subject identifiers (OIDC Core §8.1).

The same resident gets a different, stable `sub` at each sector, so two services cannot
correlate residents by `sub`. The upstream IdP name is mixed in so identifiers from two
upstreams can never collide.
"""

from __future__ import annotations

import base64
import hashlib
import hmac


def pairwise_subject(salt: str, *, sector: str, idp: str, upstream_subject: str) -> str:
    message = "\x00".join((sector, idp, upstream_subject)).encode("utf-8")
    mac = hmac.new(salt.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode("ascii")
