"""The floor the bridge is measured against: a raw ASGI app that does the same
irreducible work as a token endpoint — parse a form, verify one ES256 JWT, sign one
ES256 JWT, one Redis round trip (SET NX with a TTL) — with `cryptography` directly and
nothing else. The bridge's figures are reported as ratios of this app's, measured in the
same run, because absolute numbers drift on shared machines and ratios hold.

Run: uvicorn --factory bench.baseline:create_app (env BENCH_REDIS_URL, BENCH_KEY_PEM).
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import redis.asyncio as aioredis
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _unb64(data: bytes) -> bytes:
    return base64.urlsafe_b64decode(data + b"=" * (-len(data) % 4))


class Es256:
    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        self.private = key
        self.public = key.public_key()
        self.header = _b64(json.dumps({"alg": "ES256", "typ": "JWT", "kid": "k"}).encode())

    def sign(self, claims: dict[str, Any]) -> bytes:
        signing_input = self.header + b"." + _b64(json.dumps(claims).encode())
        der = self.private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return signing_input + b"." + _b64(r.to_bytes(32, "big") + s.to_bytes(32, "big"))

    def verify(self, token: bytes) -> dict[str, Any]:
        signing_input, _, signature = token.rpartition(b".")
        raw = _unb64(signature)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
        self.public.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        claims: dict[str, Any] = json.loads(_unb64(signing_input.split(b".")[1]))
        if claims["exp"] < time.time():
            raise ValueError("expired")
        return claims


def load_key(path: Path | None = None) -> ec.EllipticCurvePrivateKey:
    """The key the harness signs subject tokens with (a PEM file it wrote)."""
    pem = (path or Path(os.environ["BENCH_KEY_PEM"])).read_bytes()
    key = serialization.load_pem_private_key(pem, None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise TypeError("BENCH_KEY_PEM must hold a P-256 private key")
    return key


def create_app() -> Any:
    signer = Es256(load_key())
    redis = aioredis.Redis.from_url(os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"))

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await redis.aclose()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["method"] == "GET":  # health check
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"ok"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        form = dict(parse_qsl(body.decode()))
        status, payload = 200, b""
        try:
            claims = signer.verify(form["subject_token"].encode())
            jti = secrets.token_urlsafe(16)
            now = int(time.time())
            token = signer.sign(
                {
                    "iss": "baseline",
                    "sub": claims["sub"],
                    "aud": "x",
                    "iat": now,
                    "exp": now + 600,
                    "jti": jti,
                }
            )
            if not await redis.set(f"bench:jti:{jti}", b"1", nx=True, px=600_000):
                raise ValueError("jti collision")
            payload = json.dumps(
                {"access_token": token.decode(), "token_type": "Bearer", "expires_in": 600}
            ).encode()
        except (KeyError, ValueError) as exc:
            status, payload = (
                400,
                json.dumps({"error": "invalid_request", "detail": str(exc)}).encode(),
            )
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})

    return app
