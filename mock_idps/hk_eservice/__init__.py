"""Mock Hong Kong Government e-Service (香港政府電子服務), an OpenID Connect client of
the bridge.

A Mainland resident signs in with their Guangdong identity (the bridge's `idp_hint`
`guangdong`), a Hong Kong resident with iAM Smart (`iamsmart`); the service then shows
what it received: the pairwise `sub`, the assurance level, the identity provider and
the released claims. It never imports `bridge`: it knows the bridge only through OIDC
and configuration.
"""

from mock_idps.hk_eservice.app import create_app
from mock_idps.hk_eservice.config import HkEserviceConfig, load_config

__all__ = ["HkEserviceConfig", "create_app", "load_config"]
