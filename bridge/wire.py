"""Protocol constants, in one place (dex server/oauth2): grant types, token types,
authentication methods. Error codes live on the error classes in `errors.py`."""

# ruff: noqa: S105 - these are protocol names, not secrets

GRANT_AUTHORIZATION_CODE = "authorization_code"

RESPONSE_TYPE_CODE = "code"
PKCE_S256 = "S256"

AUTH_CLIENT_SECRET_BASIC = "client_secret_basic"
AUTH_CLIENT_SECRET_POST = "client_secret_post"

TOKEN_TYPE_BEARER = "Bearer"
JWT_TYPE_ACCESS_TOKEN = "at+jwt"  # RFC 9068 §2.1

SCOPE_OPENID = "openid"

NO_STORE_HEADERS = {"Cache-Control": "no-store", "Pragma": "no-cache"}
