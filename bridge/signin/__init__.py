"""Signing a resident in across the boundary: where the provider side (`provider/`) and
the upstream side (`upstream/`) meet, through the neutral types of `bridge.model`.

    start (a purpose) ─▶ UpstreamFlows.begin ─▶ upstream IdP ─▶ UpstreamCallback.handle
                                                                     │ take(state)
                                           completer of the purpose ◀┘
      client sign-in: claims → consent (or a remembered one) → the request's ending
      account sign-in: a session for the resident's own consent page

Each round trip to an upstream is one stored record taken once by its state, and it
names its purpose; the callback hands the identity to the completer registered for that
purpose. Consent ends in the ending the request asked for (a code redirect), through
the ending registered for its kind. Nothing here knows an upstream's protocol.
"""
