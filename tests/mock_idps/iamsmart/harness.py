"""Shared pieces for tests that talk to the mock iAM Smart over real HTTP.

`WireClient` is a deliberately separate, minimal implementation of the iAM Smart wire
protocol (docs/protocols.md §1.8, §1.9) so the mock is checked against a reading of the spec
other than the bridge connector's. `sign_in` plays the resident's browser on the QR page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

import httpx
from bs4 import BeautifulSoup, Tag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bridge.clock import ManualClock
from mock_idps._config import load_yaml
from mock_idps.iamsmart import IamSmartState, MockIamSmartConfig, create_app
from mock_idps.iamsmart.config import DEFAULT_CONFIG_FILE
from tests.support.servers import bind_loopback, serving

CLIENT_ID = "gba-bridge-test"
CLIENT_SECRET = "test-only-iamsmart-secret"
OTHER_CLIENT_ID = "other-service"
OTHER_CLIENT_SECRET = "test-only-other-secret"
REDIRECT_URI = "https://bridge.test/callback/iamsmart"
OTHER_REDIRECT_URI = "https://other.test/callback"
PERSONAS = ("wong-wing-fung", "lau-chi-ming", "cheung-ka-yan", "chan-tai-man")
START = 1_750_000_000.0


@dataclass(frozen=True)
class Kek:
    private_key: rsa.RSAPrivateKey
    private_file: Path
    public_file: Path


def make_kek(directory: Path, name: str = "kek") -> Kek:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_file = directory / f"{name}.pem"
    public_file = directory / f"{name}.pub.pem"
    private_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_file.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return Kek(key, private_file, public_file)


def mock_config(kek: Kek, **settings: Any) -> MockIamSmartConfig:
    """Two registered services sharing the shipped personas, with test controls on."""
    personas = load_yaml(DEFAULT_CONFIG_FILE.parent / "personas.yaml", {})["personas"]
    clients = [
        {
            "clientID": CLIENT_ID,
            "clientSecret": CLIENT_SECRET,
            "redirectURIs": [REDIRECT_URI],
            "scopes": ["eidapi_auth", "eidapi_profiles", "eidapi_formFilling"],
            "kekPublicKeyFile": str(kek.public_file),
        },
        {
            "clientID": OTHER_CLIENT_ID,
            "clientSecret": OTHER_CLIENT_SECRET,
            "redirectURIs": [OTHER_REDIRECT_URI],
            "scopes": ["eidapi_auth", "eidapi_profiles"],
            "kekPublicKeyFile": str(kek.public_file),
            "sources": ["PC_Browser"],
        },
    ]
    return MockIamSmartConfig.model_validate(
        {
            "clients": clients,
            "settings": {"mock_secret": "test-only-mock-secret", "test_controls": True, **settings},
            "personas": personas,
        }
    )


@dataclass
class RunningMock:
    url: str
    state: IamSmartState


class AppSlot:
    """An ASGI app whose target is swapped per test, so one loopback server serves a
    freshly built mock (fresh state, the test's clock) to every test without paying for
    a server start and shutdown each time."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if self.app is None:
            await send({"type": "http.response.start", "status": 503, "headers": []})
            await send({"type": "http.response.body", "body": b"no app in the slot"})
            return
        await self.app(scope, receive, send)

    def load(self, url: str, config: MockIamSmartConfig, clock: ManualClock) -> RunningMock:
        self.app = create_app(config, clock=clock.now)
        return RunningMock(url, self.app.state.iamsmart)


@contextmanager
def serving_slot() -> Iterator[tuple[str, AppSlot]]:
    slot = AppSlot()
    sock = bind_loopback()
    # bind_loopback's socket has proto 0, so asyncio does not set TCP_NODELAY on the
    # connections it accepts, and every keep-alive answer then waits ~40 ms for a
    # delayed ACK. Accepted sockets inherit the option from the listening one.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with serving(slot, sock) as server:
        yield server.url, slot


def get_qr_url(base_url: str, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "clientID": CLIENT_ID,
        "responseType": "code",
        "source": "PC_Browser",
        "redirectURI": REDIRECT_URI,
        "scope": "eidapi_auth eidapi_profiles",
        "lang": "en-US",
        "state": "s-" + uuid.uuid4().hex[:16],
    }
    params.update(overrides)
    query = urlencode({k: v for k, v in params.items() if v is not None}, quote_via=quote)
    return f"{base_url}/api/v1/auth/getQR?{query}"


def html(page: httpx.Response) -> BeautifulSoup:
    return BeautifulSoup(page.text, "html.parser")


def first(soup: BeautifulSoup | Tag, selector: str) -> Tag:
    found = soup.select_one(selector)
    assert found is not None, f"nothing matches {selector!r}"
    return found


def attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    assert isinstance(value, str), f"<{tag.name}> has no single {name}"
    return value


def form_action(page: httpx.Response, persona: str | None = None) -> str:
    """The QR page's decision URL (for `persona`'s form, or the first form)."""
    soup = html(page)
    if persona is None:
        return urljoin(str(page.url), attr(first(soup, "form"), "action"))
    field = first(soup, f'input[name="persona"][value="{persona}"]')
    form = field.find_parent("form")
    assert form is not None
    return urljoin(str(page.url), attr(form, "action"))


async def sign_in(
    browser: httpx.AsyncClient, authorization_url: str, persona: str, action: str = "approve"
) -> dict[str, str]:
    """Open the QR page, press `action` for `persona`, return the callback's query."""
    page = await browser.get(authorization_url)
    assert page.status_code == 200, page.text
    answer = await browser.post(
        form_action(page, persona), data={"persona": persona, "action": action}
    )
    assert answer.status_code == 302, answer.text
    location = answer.headers["location"]
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()} | {
        "_location": location
    }


def callback_params(query: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in query.items() if not k.startswith("_")}


class WireClient:
    """A raw iAM Smart client for the mock's own tests: every header can be bent."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        kek: Kek,
        clock: ManualClock,
        client_id: str = CLIENT_ID,
        secret: str = CLIENT_SECRET,
    ) -> None:
        self.http, self.base_url, self.kek, self.clock = http, base_url, kek, clock
        self.client_id, self.secret = client_id, secret

    def headers(
        self,
        body: bytes,
        *,
        timestamp: int | None = None,
        nonce: str | None = None,
        method: str = "HmacSHA256",
        url_encode: bool = True,
        secret: str | None = None,
    ) -> dict[str, str]:
        stamp = str(int(self.clock.now() * 1000) if timestamp is None else timestamp)
        nonce = uuid.uuid4().hex if nonce is None else nonce
        message = (self.client_id + method + stamp + nonce).encode() + body
        key = (self.secret if secret is None else secret).encode()
        signature = base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()
        return {
            "clientID": self.client_id,
            "signatureMethod": method,
            "timestamp": stamp,
            "nonce": nonce,
            "signature": quote(signature, safe="") if url_encode else signature,
        }

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.http.post(self.base_url + path, content=body, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    async def get_key(self) -> bytes:
        answer = await self.post("/api/v1/security/getKey", b"", self.headers(b""))
        assert answer["code"] == "D00000", answer
        wrapped = base64.b64decode(answer["content"]["secretKey"])
        return self.kek.private_key.decrypt(wrapped, padding.PKCS1v15())

    @staticmethod
    def seal(cek: bytes, payload: dict[str, Any], iv_length: int = 12) -> bytes:
        iv = os.urandom(iv_length)
        sealed = AESGCM(cek).encrypt(iv, json.dumps(payload).encode(), None)
        content = base64.b64encode(struct.pack(">i", iv_length) + iv + sealed).decode()
        return json.dumps({"content": content}).encode()

    @staticmethod
    def open(cek: bytes, content: str) -> dict[str, Any]:
        raw = base64.b64decode(content)
        assert struct.unpack(">i", raw[:4]) == (12,)
        opened: dict[str, Any] = json.loads(AESGCM(cek).decrypt(raw[4:16], raw[16:], None))
        return opened

    async def call(self, path: str, payload: dict[str, Any], cek: bytes) -> dict[str, Any]:
        """A signed, sealed POST; the answer with `content` decrypted when there is one."""
        body = self.seal(cek, payload)
        answer = await self.post(path, body, self.headers(body))
        if "content" in answer:
            answer["content"] = self.open(cek, answer["content"])
        return answer
