"""Discovery, RFC 8414 metadata and the JWKS served from pre-rendered bytes
(bridge/http/documents.py): the same bytes the FastAPI routes sent, HTTP caching a
client can use, and a JWKS that follows the key ring the moment it changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from bridge.signing.ring import KeyRing
from tests.flows.conftest import Chain, running_chain
from tests.signing.support import ParkedTicker, on_loop, ring

METADATA = "/.well-known/openid-configuration"


def rendered(document: Any) -> bytes:
    """What Starlette's JSONResponse, behind the former routes, sent for `document`."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@pytest.fixture
def parked(tmp_path: Path, redis_url: str) -> Iterator[Chain]:
    """The chain with the key ring's background step held: keys change only when a
    test changes them."""
    with running_chain(tmp_path, redis_url, key_ticker=ParkedTicker()) as running:
        yield running


def test_documents_are_the_bytes_the_routes_rendered_with_their_caching_headers(
    parked: Chain,
) -> None:
    core = parked.bridge_app.state.core
    for path in (METADATA, "/.well-known/oauth-authorization-server"):
        response = httpx.get(parked.bridge + path)
        assert response.status_code == 200
        assert response.content == rendered(core.discovery)
        assert response.headers["content-type"] == "application/json"
        assert response.headers["cache-control"] == "public, max-age=3600"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-request-id"]
    jwks = httpx.get(f"{parked.bridge}/jwks.json", headers={"X-Request-Id": "trace-0123456789"})
    assert jwks.headers["x-request-id"] == "trace-0123456789"
    assert jwks.content == rendered(core.key_ring.current().jwks())
    assert jwks.headers["content-type"] == "application/jwk-set+json"
    max_age = core.key_ring.policy.jwks_max_age
    assert jwks.headers["cache-control"] == f"public, max-age={max_age}"
    assert jwks.headers["content-length"] == str(len(jwks.content))


def test_a_client_holding_the_current_etag_gets_304_and_a_stale_one_the_document(
    parked: Chain,
) -> None:
    first = httpx.get(parked.bridge + METADATA)
    etag = first.headers["etag"]
    again = httpx.get(parked.bridge + METADATA, headers={"If-None-Match": f'"x", W/{etag}'})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["cache-control"] == "public, max-age=3600"
    stale = httpx.get(parked.bridge + METADATA, headers={"If-None-Match": '"stale"'})
    assert stale.status_code == 200
    assert stale.content == first.content


def test_wrong_methods_and_near_paths_keep_the_json_error_shape(parked: Chain) -> None:
    for method, path in (("POST", METADATA), ("PUT", "/jwks.json"), ("HEAD", "/jwks.json")):
        response = httpx.request(method, parked.bridge + path)
        assert response.status_code == 405, (method, path)
        assert response.headers["allow"] == "GET"
        assert response.headers["cache-control"] == "no-store"
        if method != "HEAD":
            assert response.json()["error"] == "invalid_request"
    for path in ("/.well-known/openid-configuration/extra", "/jwks.json/", "/.well-known/x"):
        response = httpx.get(parked.bridge + path)
        assert response.status_code == 404, path
        assert response.json() == {"error": "not_found", "error_description": "No such endpoint"}


def test_each_key_set_change_changes_the_jwks_served_at_once(parked: Chain) -> None:
    """No timer: a next key published, then a rotation, each served on the next request
    (the former ETag stops matching)."""

    def jwks(etag: str | None = None) -> httpx.Response:
        headers = {"If-None-Match": etag} if etag else {}
        response = httpx.get(f"{parked.bridge}/jwks.json", headers=headers)
        assert response.status_code == 200
        assert response.content == rendered(ring(parked.bridge_app).current().jwks())
        return response

    async def generate(key_ring: KeyRing) -> None:
        key_ring.adopt((await key_ring.manager.generate("ES256")).index)

    async def rotate(key_ring: KeyRing) -> str:
        key_ring.adopt((await key_ring.manager.rotate(alg="ES256", force=True)).index)
        return key_ring.current().active.kid

    first = jwks()
    kids = [key["kid"] for key in first.json()["keys"]]
    actives = {e.kid for e in ring(parked.bridge_app).index.actives}
    on_loop(parked.bridge_app, generate)
    published = jwks(first.headers["etag"])
    next_kids = {key["kid"] for key in published.json()["keys"]}
    assert len(next_kids - set(kids)) == 1, "the new next key is published"
    assert actives < next_kids, "beside the keys that sign"
    new_active = on_loop(parked.bridge_app, rotate)
    rotated = jwks(published.headers["etag"])
    assert new_active not in kids
    assert rotated.json()["keys"][0]["kid"] == new_active, "the active key first"
    assert len({first.headers["etag"], published.headers["etag"], rotated.headers["etag"]}) == 3
