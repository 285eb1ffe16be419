"""Guangdong Unified Identity Authentication Platform connector: the bridge as a client
of the platform's own OAuth2 dialect ("tif"), for Mainland residents signing in to Hong
Kong services. See `connector.py` for the dialect and the attributes it returns.
"""

from bridge.upstream.guangdong.config import GuangdongConfig
from bridge.upstream.guangdong.connector import GuangdongConnector
from bridge.upstream.guangdong.protocol import TOKEN_FIELDS, USEROBJ_FIELDS

__all__ = ["TOKEN_FIELDS", "USEROBJ_FIELDS", "GuangdongConfig", "GuangdongConnector"]
