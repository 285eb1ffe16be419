"""JWTs: minting the bridge's own (ID tokens, RFC 9068 access tokens, RFC 7523 grant
assertions) and verifying both its own and other parties' (private_key_jwt client
assertions, trusted issuers' subject and actor tokens for RFC 8693)."""
