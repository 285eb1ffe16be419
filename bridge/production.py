"""What `BRIDGE_ENV=production` refuses in the upstreams' configuration (the bridge's
own settings are checked by `Settings.production_problems`). Each refusal closes a way a
demo set-up could slip into production unnoticed; README "Operating in production"
lists them with their reasons."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, SecretStr

from bridge.keyfiles import is_development_pem
from bridge.settings import DEV_MARKER

MIN_UPSTREAM_SECRET_LENGTH = 16
"""Shortest client secret accepted from an upstream's registration. iAM Smart's secret
is an HMAC key on every back-channel call; a one-character placeholder left from a test
set-up would sign production requests with a guessable key."""


def _url_problems(where: str, upstream: BaseModel) -> list[str]:
    # Plain http on the back channel would carry the client secret, codes and residents'
    # profiles in the clear; on the browser side it would expose the sign-in redirect.
    return [
        f"{where}: {field} {value} must use https in production"
        for field, value in upstream
        if field.endswith("_url") and isinstance(value, str) and not value.startswith("https://")
    ]


def upstream_problems(where: str, upstream: BaseModel) -> list[str]:
    """What a production deployment refuses in one upstream's configuration."""
    problems = _url_problems(where, upstream)
    secret = getattr(upstream, "client_secret", None)
    if isinstance(secret, SecretStr):
        value = secret.get_secret_value()
        if value.startswith(DEV_MARKER):
            problems.append(f"{where} uses a development secret")
        elif len(value) < MIN_UPSTREAM_SECRET_LENGTH:
            problems.append(
                f"{where}: client_secret is {len(value)} characters; production needs at "
                f"least {MIN_UPSTREAM_SECRET_LENGTH} (the secret the identity provider issued)"
            )
    kek = getattr(upstream, "kek_private_key_file", None)
    if isinstance(kek, Path) and is_development_pem(kek):
        problems.append(
            f"{where}: kek_private_key_file {kek} is a development key (made by `bridge "
            "demo` or `bridge keys init-dev`); production needs the KEK registered with ESP"
        )
    return problems
