"""Mock of Guangdong's Unified Identity Authentication Platform (广东省统一身份认证平台).

Two roles (docs/architecture.md, docs/protocols.md §4.2):

- an OpenID Connect client of the bridge, through which a Hong Kong resident signs in
  with iAM Smart and binds that identity to a pre-seeded Guangdong account by the
  number of their Mainland Travel Permit (回乡证);
- the platform's own OAuth2 dialect (`/tif/sso/connect/page/oauth2/...`) for its portals
  and for the bridge, whose Mainland residents sign in with the platform's own login
  (played by the Mainland personas: `platform_login.py`).

It never imports `bridge`: it knows the bridge only through OIDC and configuration.
"""

from mock_idps.guangdong.app import create_app
from mock_idps.guangdong.config import GuangdongConfig, load_config

__all__ = ["GuangdongConfig", "create_app", "load_config"]
