"""Signing keys and their rotation (next → active → retired → removed), shared by every
instance through the key directory, encrypted at rest (RFC 7517 §7), published as a JWKS
(RFC 7517 §5) with RFC 7638 thumbprint kids.

    keys.py        one key: algorithms, generation, thumbprint kid
    keyset.py      what signers and verifiers hold (`KeySet`)
    index.py       keys/signing/keyset.json: states, versions, removed kids
    policy.py      when keys change state, derived from the settings
    lifecycle.py   the transitions, as pure functions of the index and the time
    encryption.py  the key-encryption key and encrypted key files
    storage.py     key files: atomic writes, loading, development keys
    locks.py       the rotation lock (Redis + flock)
    manager.py     generate / rotate / prune / scheduled maintenance, under the lock
    ring.py        this instance's current key set, refreshed in the background
    listing.py     what `bridge keys list` shows

Named apart from the top-level `keys/` folder, which holds the key files themselves.
"""
