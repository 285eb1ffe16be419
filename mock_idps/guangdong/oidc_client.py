"""The platform as an OpenID Connect relying party of the bridge.

The relying party itself is shared with the other mocks that sign residents in through
the bridge (`mock_idps._oidc_rp`); the platform uses it with its defaults: `iss` is
required in every authorization response, any asymmetric ID token algorithm the bridge
advertises is accepted. The names here are the ones the platform's modules use.
"""

from __future__ import annotations

from mock_idps._oidc_rp import AuthorizationStart
from mock_idps._oidc_rp import RelyingParty as BridgeClient
from mock_idps._oidc_rp import SignedIn as BridgeIdentity
from mock_idps._oidc_rp import SignInError as BridgeSignInError

__all__ = ["AuthorizationStart", "BridgeClient", "BridgeIdentity", "BridgeSignInError"]
