"""Protocol constants, in one place (dex server/oauth2): grant types, token types,
authentication methods. Error codes live on the error classes in `errors.py`."""

# ruff: noqa: S105 - these are protocol names, not secrets

from typing import Literal

SigningAlgorithm = Literal["ES256", "RS256", "EdDSA", "Ed25519"]
"""JWS algorithms the bridge signs with (RFC 7518 §3, RFC 8037 §3.1, RFC 9864 §2.2)."""

GRANT_AUTHORIZATION_CODE = "authorization_code"

RESPONSE_TYPE_CODE = "code"
PKCE_S256 = "S256"

AUTH_CLIENT_SECRET_BASIC = "client_secret_basic"
AUTH_CLIENT_SECRET_POST = "client_secret_post"

TOKEN_TYPE_BEARER = "Bearer"
JWT_TYPE_ACCESS_TOKEN = "at+jwt"  # RFC 9068 §2.1
JWT_TYPE_ID_TOKEN = "JWT"  # what the bridge puts in its ID tokens' `typ`
JWT_TYPE_LOGOUT_TOKEN = "logout+jwt"  # OIDC Back-Channel Logout 1.0 §2.4
BACKCHANNEL_LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"

SCOPE_OPENID = "openid"

NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}

# --- token exchange, refresh, assertions (RFC 8693, RFC 6749 §6, RFC 7523) ---
GRANT_REFRESH_TOKEN = "refresh_token"
GRANT_TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 §2.1
GRANT_JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"  # RFC 7523 §2.1
GRANT_DEVICE_CODE = "urn:ietf:params:oauth:grant-type:device_code"  # RFC 8628 §3.4

TOKEN_TYPE_ACCESS_TOKEN = "urn:ietf:params:oauth:token-type:access_token"  # RFC 8693 §3
TOKEN_TYPE_REFRESH_TOKEN = "urn:ietf:params:oauth:token-type:refresh_token"
TOKEN_TYPE_ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TOKEN_TYPE_JWT = "urn:ietf:params:oauth:token-type:jwt"
TOKEN_TYPE_NA = "N_A"  # RFC 8693 §2.2.1: not an OAuth access token

AUTH_PRIVATE_KEY_JWT = "private_key_jwt"  # OIDC Core §9, RFC 7523 §2.2
CLIENT_ASSERTION_TYPE_JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

SCOPE_OFFLINE_ACCESS = "offline_access"  # OIDC Core §11

TOKEN_HINT_ACCESS_TOKEN = "access_token"  # RFC 7009 §2.1, RFC 7662 §2.1
TOKEN_HINT_REFRESH_TOKEN = "refresh_token"
