"""Release policy: which claims a client receives.

A client receives the claims that both its registration allows and the requested
scopes name (OIDC Core §5.4). Requesting more scopes can only add claims the
registration already allows, and a scope outside the registration never widens it.
The resident's consent narrows the result further (bridge/consent).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from bridge.claims.mapper import ClaimMapper


def release_set(
    allowed: Collection[str], scopes: Iterable[str], mapper: ClaimMapper
) -> frozenset[str]:
    """`allowed` ∩ the claims `scopes` name. Session claims (`mapper.session_claims`)
    are not part of it: the token issuer adds them to every ID token."""
    return mapper.claims_for_scopes(scopes) & frozenset(allowed)
