"""Signing keys: generation, storage under `keys/`, and the published key set.

Named apart from the top-level `keys/` folder, which holds the key files themselves.
"""
