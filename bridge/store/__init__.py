"""One-time and short-lived state: Redis in production and tests, memory for the demo.

`backend.py` is the small key-value contract both backends fulfil; `records.py` holds
the narrow, typed stores the rest of the bridge uses (flow states, codes, grants,
consent interactions, replay caches). Every record is sealed (AES-256-GCM) and has a TTL.
"""
