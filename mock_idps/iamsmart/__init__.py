"""Mock iAM Smart (智方便): the QR sign-in, key exchange, token and profile APIs, as the
real system behaves on the wire (docs/protocols.md §1, §4.1)."""

from mock_idps.iamsmart.app import create_app
from mock_idps.iamsmart.config import MockIamSmartConfig, load_config
from mock_idps.iamsmart.state import IamSmartState

__all__ = ["IamSmartState", "MockIamSmartConfig", "create_app", "load_config"]
