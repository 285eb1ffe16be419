"""Mock identity providers that behave like the real systems on the wire.

They never import `bridge` (and `bridge` never imports them): like the real iAM Smart
and Guangdong platform, they know the bridge only through the protocol and configuration.
"""
