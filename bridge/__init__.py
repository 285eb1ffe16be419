"""GBA identity bridge: an OIDC broker between iAM Smart and Guangdong's identity platform."""

__version__ = "0.1.0"
