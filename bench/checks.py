"""One request per scenario and party before it is measured, checked for the work it
claims to do: a throughput figure of error responses, or of a peer that skips the ID
token, would compare nothing. Each check returns what is wrong (nothing when all is well).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx

Check = Callable[[dict[str, Any]], list[str]]


def _jws_alg(value: object) -> str | None:
    if not isinstance(value, str) or value.count(".") != 2:
        return None
    header = value.split(".", 1)[0]
    try:
        decoded = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))
    except ValueError:
        return None
    alg = decoded.get("alg") if isinstance(decoded, dict) else None
    return alg if isinstance(alg, str) else None


def jwts_signed_with(alg: str, *names: str) -> Check:
    def check(body: dict[str, Any]) -> list[str]:
        return [
            f"{name} is not an {alg} JWT (alg {_jws_alg(body.get(name))})"
            for name in names
            if _jws_alg(body.get(name)) != alg
        ]

    return check


def es256_jwts(*names: str) -> Check:
    return jwts_signed_with("ES256", *names)


def present(*names: str) -> Check:
    def check(body: dict[str, Any]) -> list[str]:
        return [f"no {name}" for name in names if not body.get(name)]

    return check


def all_of(*checks: Check) -> Check:
    def check(body: dict[str, Any]) -> list[str]:
        return [problem for each in checks for problem in each(body)]

    return check


def discovery(body: dict[str, Any]) -> list[str]:
    return present("issuer", "token_endpoint", "jwks_uri", "introspection_endpoint")(body)


def jwks(body: dict[str, Any]) -> list[str]:
    """P-256 keys (what both sign ES256 with), and RSA keys besides for the bridge's
    RS256 clients (bench-portal-rs256): a bigger document than the peer's."""
    keys = body.get("keys")
    if not isinstance(keys, list) or not keys:
        return ["no keys"]
    problems = [
        f"key {key.get('kid')} is neither P-256 nor RSA"
        for key in keys
        if (key.get("kty"), key.get("crv")) not in {("EC", "P-256"), ("RSA", None)}
    ]
    if not any(key.get("crv") == "P-256" for key in keys):
        problems.append("no P-256 key")
    return problems


def active(body: dict[str, Any]) -> list[str]:
    return [] if body.get("active") is True else [f"active is {body.get('active')!r}"]


CODE_REDEMPTION = es256_jwts("access_token", "id_token")
# Access tokens stay ES256 (their audience's choice); the ID token follows the client.
CODE_REDEMPTION_RS256 = all_of(es256_jwts("access_token"), jwts_signed_with("RS256", "id_token"))
REFRESH = all_of(es256_jwts("access_token", "id_token"), present("refresh_token"))
ACCESS_TOKEN = es256_jwts("access_token")
ANY_ACCESS_TOKEN = present("access_token")


def send(url: str, *, body: str | None, authorization: str, check: Check) -> list[str]:
    """Send one request like wrk's and check the answer."""
    headers = {}
    if authorization != "-":
        headers["Authorization"] = authorization
    try:
        if body is None:
            response = httpx.get(url, headers=headers, timeout=30)
        else:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            response = httpx.post(url, content=body, headers=headers, timeout=30)
    except httpx.HTTPError as error:
        return [f"request failed: {error!r}"[:200]]
    if response.status_code != 200:
        return [f"HTTP {response.status_code}: {response.text[:160]}"]
    try:
        payload = response.json()
    except ValueError:
        return ["the answer is not JSON"]
    return check(payload) if isinstance(payload, dict) else ["the answer is not an object"]
