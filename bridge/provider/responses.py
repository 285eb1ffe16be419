"""Authorization responses (RFC 6749 §4.1.2, §4.1.2.1) with the issuer identifier of
RFC 9207 §2, which lets a client that talks to several providers detect mix-up."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from bridge.errors import OAuthError


def redirect_with(redirect_uri: str, params: dict[str, str | None]) -> str:
    """Add parameters to a registered redirect URI, keeping its own query (§3.1.2)."""
    parts = urlsplit(redirect_uri)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query.extend((k, v) for k, v in params.items() if v is not None)
    return urlunsplit(parts._replace(query=urlencode(query)))


def success_redirect(redirect_uri: str, *, code: str, state: str | None, issuer: str) -> str:
    return redirect_with(redirect_uri, {"code": code, "state": state, "iss": issuer})


def error_redirect(error: OAuthError, *, issuer: str) -> str:
    if error.redirect_uri is None:
        raise ValueError("an error without a verified redirect_uri must not be redirected")
    return redirect_with(
        error.redirect_uri,
        {
            "error": error.error,
            "error_description": error.description or None,
            "state": error.state,
            "iss": issuer,
        },
    )
