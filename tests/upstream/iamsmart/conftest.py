# The mock's fixtures are imported to be shared here, and fixture parameters reuse their
# names by design.
# ruff: noqa: F811
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol

import httpx
import pytest
from pydantic import SecretStr

from bridge.clock import ManualClock
from bridge.model import UpstreamAuthRequest
from bridge.upstream.iamsmart import IamSmartConfig, IamSmartConnector

# The mock's fixtures (session KEK and server slot, clock, mock, http client).
from tests.mock_idps.iamsmart.conftest import (  # noqa: F401
    clock,
    http,
    kek,
    mock,
    mock_slot,
    start_mock,
    tls,
    wire,
)
from tests.mock_idps.iamsmart.harness import (
    CLIENT_ID,
    CLIENT_SECRET,
    REDIRECT_URI,
    Kek,
    RunningMock,
    callback_params,
    sign_in,
)


class MakeConnector(Protocol):
    def __call__(self, **overrides: Any) -> IamSmartConnector: ...


@pytest.fixture
def connector_config(kek: Kek, mock: RunningMock) -> IamSmartConfig:
    return IamSmartConfig(
        browser_base_url=mock.url,
        api_base_url=mock.url,
        client_id=CLIENT_ID,
        client_secret=SecretStr(CLIENT_SECRET),
        kek_private_key_file=kek.private_file,
        redirect_uri=REDIRECT_URI,
    )


@pytest.fixture
async def make_connector(
    connector_config: IamSmartConfig, http: httpx.AsyncClient, clock: ManualClock
) -> AsyncIterator[MakeConnector]:
    made: list[IamSmartConnector] = []

    def make(**overrides: Any) -> IamSmartConnector:
        config = connector_config.model_copy(update=overrides)
        made.append(IamSmartConnector("iamsmart", config, http=http, clock=clock))
        return made[-1]

    yield make
    for connector in made:
        await connector.aclose()


@pytest.fixture
def connector(make_connector: MakeConnector) -> IamSmartConnector:
    return make_connector()


SignIn = Callable[..., Awaitable[tuple[dict[str, str], UpstreamAuthRequest]]]


@pytest.fixture
def resident(http: httpx.AsyncClient) -> SignIn:
    """Play the resident: open the connector's getQR URL and act for a persona."""

    async def act(
        connector: IamSmartConnector,
        persona: str,
        action: str = "approve",
        fields: tuple[str, ...] = (),
    ) -> tuple[dict[str, str], UpstreamAuthRequest]:
        request = UpstreamAuthRequest(state=uuid.uuid4().hex, fields=fields)
        query = await sign_in(http, connector.authorization_url(request), persona, action)
        return callback_params(query), request

    return act
