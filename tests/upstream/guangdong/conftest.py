"""The Guangdong connector against the mock platform (and, for what the mock never
does, a fake back channel), over real HTTP on loopback, each with its own clock."""

# The mock's fixtures are imported to be shared, and fixture parameters reuse their
# names by design.
# ruff: noqa: F811
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, Protocol

import httpx
import pytest
from pydantic import SecretStr

from bridge.model import UpstreamAuthRequest
from bridge.upstream.guangdong import GuangdongConfig, GuangdongConnector
from mock_idps.guangdong.state import GuangdongPlatform
from tests.mock_idps.guangdong_support import (
    UPSTREAM_CALLBACK,
    UPSTREAM_ID,
    UPSTREAM_SECRET,
    platform_sign_in,
    query_of,
)
from tests.mock_idps.guangdong_tif import clock, platform, server  # noqa: F401 - fixtures
from tests.support.client_tls import TRUSTED
from tests.support.servers import RunningServer, serving
from tests.upstream.guangdong.fakes import FakePlatform


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[FakePlatform, RunningServer]]:
    fake = FakePlatform()
    with serving(fake) as running:
        yield fake, running
        fake.release.set()


@pytest.fixture
def fake(fake_server: tuple[FakePlatform, RunningServer]) -> FakePlatform:
    fake_server[0].reset()
    return fake_server[0]


@pytest.fixture
def fake_url(fake_server: tuple[FakePlatform, RunningServer]) -> str:
    return fake_server[1].url


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, verify=TRUSTED) as client:
        yield client


class MakeConnector(Protocol):
    def __call__(self, **overrides: Any) -> GuangdongConnector: ...


@pytest.fixture
async def make_connector(
    server: RunningServer, http: httpx.AsyncClient
) -> AsyncIterator[MakeConnector]:
    base = GuangdongConfig(
        browser_base_url=server.url,
        api_base_url=server.url,
        client_id=UPSTREAM_ID,
        client_secret=SecretStr(UPSTREAM_SECRET),
        redirect_uri=UPSTREAM_CALLBACK,
        timeout_seconds=5,
    )
    made: list[GuangdongConnector] = []

    def make(**overrides: Any) -> GuangdongConnector:
        made.append(GuangdongConnector("guangdong", base.model_copy(update=overrides), http=http))
        return made[-1]

    yield make
    for connector in made:
        await connector.aclose()


@pytest.fixture
def connector(make_connector: MakeConnector) -> GuangdongConnector:
    return make_connector()


SignIn = Callable[..., Awaitable[tuple[dict[str, str], UpstreamAuthRequest]]]


@pytest.fixture
def resident(platform: GuangdongPlatform) -> SignIn:
    """Play a Mainland resident in a fresh browser: open the connector's authorize URL,
    press Sign in (or Cancel) for a persona; the callback's query and the request."""

    async def act(
        connector: GuangdongConnector,
        persona: str,
        action: str = "sign_in",
        fields: tuple[str, ...] = (),
    ) -> tuple[dict[str, str], UpstreamAuthRequest]:
        request = UpstreamAuthRequest(state=uuid.uuid4().hex, fields=fields)
        async with httpx.AsyncClient(verify=TRUSTED) as browser:
            answer = await platform_sign_in(
                browser, connector.authorization_url(request), persona, action
            )
        assert answer.status_code == 303, answer.text[:300]
        location = answer.headers["location"]
        assert location.startswith(UPSTREAM_CALLBACK + "?")
        return query_of(location), request

    return act
