"""iAM Smart (智方便) connector: the bridge as a client of iAM Smart's own protocol
(docs/protocols.md §1). Not OIDC: HMAC-signed headers, AES-GCM content under a key fetched
through an RSA-wrapped exchange, and a pairwise openID as the subject.
"""

from bridge.upstream.iamsmart.config import IamSmartConfig
from bridge.upstream.iamsmart.connector import IamSmartConnector
from bridge.upstream.iamsmart.protocol import EME_FIELDS, PROFILE_FIELDS

__all__ = ["EME_FIELDS", "PROFILE_FIELDS", "IamSmartConfig", "IamSmartConnector"]
