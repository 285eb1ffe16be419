"""The OpenID Provider side, facing downstream clients. Knows no web framework."""
