"""Minting and verifying the JWTs the bridge issues (ID tokens, RFC 9068 access tokens)."""
